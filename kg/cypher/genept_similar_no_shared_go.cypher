// Genes similar in text to the query gene but sharing no GO term with it.
// The nearest $candidates by embedding, kept when both genes are GO-annotated and no GOTerm
// annotates both.
// The kind's current slot ($property/$index name the kind; kg.schema.EmbeddingKind.slots).
OPTIONAL MATCH (slot:EmbeddingSet {id: $property})
WITH coalesce(slot.property, $property) AS slot_property,
     coalesce(slot.index, $index) AS slot_index
MATCH (q:Gene {id: $gene_id})
WHERE q[slot_property] IS NOT NULL AND EXISTS { (q)-[:ANNOTATED_WITH]->(:GOTerm) }
CALL db.index.vector.queryNodes(slot_index, $candidates + 1, q[slot_property]) YIELD node, score
WITH q, node, 2 * score - 1 AS cosine
WHERE node <> q
  AND EXISTS { (node)-[:ANNOTATED_WITH]->(:GOTerm) }
  AND NOT EXISTS { (q)-[:ANNOTATED_WITH]->(:GOTerm)<-[:ANNOTATED_WITH]-(node) }
RETURN node.id AS id, node.symbol AS symbol, round(cosine, 4) AS cosine,
       COUNT { (node)-[:ANNOTATED_WITH]->(:GOTerm) } AS go_terms
ORDER BY cosine DESC, id
LIMIT $k
