// The query gene's $k nearest genes by embedding, with their GO overlap.
// Shared terms and Jaccard |A ∩ B| / |A ∪ B| of the GO sets (how far text similarity agrees with
// GO).
// The kind's current slot ($property/$index name the kind; kg.schema.EmbeddingKind.slots).
OPTIONAL MATCH (slot:EmbeddingSet {id: $property})
WITH coalesce(slot.property, $property) AS slot_property,
     coalesce(slot.index, $index) AS slot_index
MATCH (q:Gene {id: $gene_id})
WHERE q[slot_property] IS NOT NULL
CALL db.index.vector.queryNodes(slot_index, $candidates + 1, q[slot_property]) YIELD node, score
WITH q, node, 2 * score - 1 AS cosine
WHERE node <> q
WITH q, node, cosine,
     COUNT { (q)-[:ANNOTATED_WITH]->(:GOTerm)<-[:ANNOTATED_WITH]-(node) } AS shared,
     COUNT { (q)-[:ANNOTATED_WITH]->(:GOTerm) } AS n_q,
     COUNT { (node)-[:ANNOTATED_WITH]->(:GOTerm) } AS n_node
RETURN node.id AS id, node.symbol AS symbol, round(cosine, 4) AS cosine, shared,
       CASE WHEN n_q + n_node - shared = 0 THEN 0.0
            ELSE round(toFloat(shared) / (n_q + n_node - shared), 4) END AS go_jaccard
ORDER BY cosine DESC, id
LIMIT $k
