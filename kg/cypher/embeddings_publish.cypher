// Make a slot the current one of its embedding kind: the readers' switch, one small write.
// $property: the kind's own property (the pointer's id); $record: property, index, model,
// dimension, genes, version, source, source_version of the new slot.
// mode: write
MERGE (e:EmbeddingSet {id: $property})
SET e += $record, e.switched_at = datetime()
