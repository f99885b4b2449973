// The perturbations predicted to move gene $gene as a graph, largest |delta| first.
// For Neo4j Browser's graph view: PREDICTED_EFFECT edges of run $run (null: every run), at most
// $top.
MATCH effect = (:Perturbation)-[e:PREDICTED_EFFECT]->(:Gene {id: $gene})
WHERE $run IS NULL OR e.run = $run
RETURN effect
ORDER BY abs(e.delta) DESC
LIMIT $top
