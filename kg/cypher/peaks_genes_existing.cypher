// Which of the given Gene ids are in the graph.
UNWIND $ids AS id
MATCH (g:Gene {id: id})
RETURN g.id AS id
