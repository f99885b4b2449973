// Create the cosine vector index over Gene.musegnn_b, an embedding kind's second slot.
// $dimension is the embedding width.
// mode: write
CREATE VECTOR INDEX gene_musegnn_b IF NOT EXISTS
FOR (g:Gene) ON g.musegnn_b
OPTIONS {indexConfig: {`vector.dimensions`: $dimension, `vector.similarity_function`: 'cosine'}}
