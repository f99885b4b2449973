// Which of the given Perturbation ids are not in the graph.
UNWIND $ids AS id
OPTIONAL MATCH (p:Perturbation {id: id})
WITH id, p WHERE p IS NULL
RETURN id
