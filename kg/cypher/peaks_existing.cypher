// Which of the given Peak ids are in the graph.
UNWIND $ids AS id
MATCH (p:Peak {id: id})
RETURN p.id AS id
