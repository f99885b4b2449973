// The cosine vector index over Gene.musegnn (Neo4j 5.26); $dimension is the embedding width.
CREATE VECTOR INDEX gene_musegnn IF NOT EXISTS
FOR (g:Gene) ON g.musegnn
OPTIONS {indexConfig: {`vector.dimensions`: $dimension, `vector.similarity_function`: 'cosine'}}
