// Create the cosine vector index over Gene.genept; $dimension is the embedding width.
// Quantization is off: scores are then exact float32 cosines (the similar-genes queries return
// them as they are), and recall of the HNSW search is higher; the cost is 4 bytes a dimension.
// mode: write
CREATE VECTOR INDEX gene_genept IF NOT EXISTS
FOR (g:Gene) ON g.genept
OPTIONS {indexConfig: {
  `vector.dimensions`: $dimension,
  `vector.similarity_function`: 'cosine',
  `vector.quantization.enabled`: false,
  `vector.hnsw.m`: 16,
  `vector.hnsw.ef_construction`: 100
}}
