// The $k genes whose embedding is nearest to the query gene's (cosine, through the vector index).
// The index finds candidates (approximate, HNSW); cosine is recomputed exactly from the
// vectors (vector.similarity.cosine returns (1 + cos) / 2).
MATCH (q:Gene {id: $gene_id})
WHERE q[$property] IS NOT NULL
CALL db.index.vector.queryNodes($index, $k + 1, q[$property]) YIELD node
WITH q, node, 2 * vector.similarity.cosine(q[$property], node[$property]) - 1 AS cosine
WHERE node <> q
RETURN node.id AS id, node.symbol AS symbol, round(cosine, 4) AS cosine
ORDER BY cosine DESC, id
LIMIT $k
