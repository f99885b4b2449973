// Gene pairs close in text embedding that share no GO term: links the GO graph lacks.
// Across all GO-annotated genes with an embedding: pairs at cosine >= $min_cosine (among each
// gene's $candidates nearest), at most $limit.
// The kind's current slot ($property/$index name the kind; kg.schema.EmbeddingKind.slots).
OPTIONAL MATCH (slot:EmbeddingSet {id: $property})
WITH coalesce(slot.property, $property) AS slot_property,
     coalesce(slot.index, $index) AS slot_index
MATCH (a:Gene) WHERE a[slot_property] IS NOT NULL AND EXISTS { (a)-[:ANNOTATED_WITH]->(:GOTerm) }
CALL db.index.vector.queryNodes(slot_index, $candidates + 1, a[slot_property]) YIELD node AS b
WITH a, b, 2 * vector.similarity.cosine(a[slot_property], b[slot_property]) - 1 AS cosine
WHERE a.id < b.id AND cosine >= $min_cosine
  AND EXISTS { (b)-[:ANNOTATED_WITH]->(:GOTerm) }
  AND NOT EXISTS { (a)-[:ANNOTATED_WITH]->(:GOTerm)<-[:ANNOTATED_WITH]-(b) }
RETURN a.symbol AS gene_a, b.symbol AS gene_b, round(cosine, 4) AS cosine
ORDER BY cosine DESC, gene_a, gene_b
LIMIT $limit
