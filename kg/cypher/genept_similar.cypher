// The $k genes whose embedding is nearest to the query gene's (cosine, vector index).
// The index (HNSW, unquantized) searches $candidates (>= $k) nearest genes, a wider search for a
// better recall of the true top $k, and scores them (1 + cos) / 2, so cos = 2 * score - 1.
// The kind's current slot ($property/$index name the kind; kg.schema.EmbeddingKind.slots).
OPTIONAL MATCH (slot:EmbeddingSet {id: $property})
WITH coalesce(slot.property, $property) AS slot_property,
     coalesce(slot.index, $index) AS slot_index
MATCH (q:Gene {id: $gene_id})
WHERE q[slot_property] IS NOT NULL
CALL db.index.vector.queryNodes(slot_index, $candidates + 1, q[slot_property]) YIELD node, score
WITH q, node, 2 * score - 1 AS cosine
WHERE node <> q
RETURN node.id AS id, node.symbol AS symbol, round(cosine, 4) AS cosine
ORDER BY cosine DESC, id
LIMIT $k
