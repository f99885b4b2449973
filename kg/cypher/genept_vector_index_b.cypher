// Create the cosine vector index over Gene.genept_b, an embedding kind's second slot.
// $dimension is the embedding width.
// Quantization is off: scores are then exact float32 cosines (the similar-genes queries return
// them as they are), and recall of the HNSW search is higher; the cost is 4 bytes a dimension.
// mode: write
CREATE VECTOR INDEX gene_genept_b IF NOT EXISTS
FOR (g:Gene) ON g.genept_b
OPTIONS {indexConfig: {
  `vector.dimensions`: $dimension,
  `vector.similarity_function`: 'cosine',
  `vector.quantization.enabled`: false,
  `vector.hnsw.m`: 16,
  `vector.hnsw.ef_construction`: 100
}}
