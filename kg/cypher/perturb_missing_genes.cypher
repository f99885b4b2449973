// Which of the given Gene ids are not in the graph.
UNWIND $ids AS id
OPTIONAL MATCH (g:Gene {id: id})
WITH id, g WHERE g IS NULL
RETURN id
