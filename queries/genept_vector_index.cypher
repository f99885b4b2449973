// The cosine vector index over Gene.genept (Neo4j 5.26); $dimension is the embedding width.
CREATE VECTOR INDEX gene_genept IF NOT EXISTS
FOR (g:Gene) ON g.genept
OPTIONS {indexConfig: {`vector.dimensions`: $dimension, `vector.similarity_function`: 'cosine'}}
