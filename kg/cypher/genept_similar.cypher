// The $k genes whose embedding is nearest to the query gene's (cosine, vector index).
// The index (HNSW, unquantized) searches $candidates (>= $k) nearest genes, a wider search for a
// better recall of the true top $k, and scores them (1 + cos) / 2, so cos = 2 * score - 1.
MATCH (q:Gene {id: $gene_id})
WHERE q[$property] IS NOT NULL
CALL db.index.vector.queryNodes($index, $candidates + 1, q[$property]) YIELD node, score
WITH q, node, 2 * score - 1 AS cosine
WHERE node <> q
RETURN node.id AS id, node.symbol AS symbol, round(cosine, 4) AS cosine
ORDER BY cosine DESC, id
LIMIT $k
