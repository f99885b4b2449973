// Cosine similarity of two genes' embeddings (null when either has none).
// The kind's current slot ($property/$index name the kind; kg.schema.EmbeddingKind.slots).
OPTIONAL MATCH (slot:EmbeddingSet {id: $property})
WITH coalesce(slot.property, $property) AS slot_property
MATCH (a:Gene {id: $gene_a}), (b:Gene {id: $gene_b})
RETURN a.symbol AS gene_a, b.symbol AS gene_b,
       round(vector.similarity.cosine(a[slot_property], b[slot_property]) * 2 - 1, 4) AS cosine
