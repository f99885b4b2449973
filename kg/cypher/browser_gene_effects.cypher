// The perturbations predicted to move gene $gene as a graph, largest |delta| first.
// For Neo4j Browser's graph view: PREDICTED_EFFECT edges of run $run (null: every run), at most
// $top; the current version of each run's effects only (kg.versions).
CALL () {
  MATCH (v:RelationshipSet {type: 'PREDICTED_EFFECT'})
  RETURN collect(v.version) AS current
}
MATCH effect = (:Perturbation)-[e:PREDICTED_EFFECT]->(:Gene {id: $gene})
WHERE e.version IN current AND ($run IS NULL OR e.run = $run)
RETURN effect
ORDER BY abs(e.delta) DESC
LIMIT $top
