// The embedding vector of each requested gene id that has one.
UNWIND $ids AS id
MATCH (g:Gene {id: id})
WHERE g[$property] IS NOT NULL
RETURN g.id AS id, g[$property] AS vector
