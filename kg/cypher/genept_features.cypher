// The embedding vector of each requested gene id that has one.
// $property: a slot's property, as embeddings_current names the kind's current one (read in the
// same transaction, so that every chunk comes from one slot).
UNWIND $ids AS id
MATCH (g:Gene {id: id})
WHERE g[$property] IS NOT NULL
RETURN g.id AS id, g[$property] AS vector
