// Create the cosine vector index over Gene.musegnn; $dimension is the embedding width.
// mode: write
CREATE VECTOR INDEX gene_musegnn IF NOT EXISTS
FOR (g:Gene) ON g.musegnn
OPTIONS {indexConfig: {`vector.dimensions`: $dimension, `vector.similarity_function`: 'cosine'}}
