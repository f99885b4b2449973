// The learned subgraph of perturbation $perturbation (id 'dataset/A+B') as a graph.
// For Neo4j Browser's graph view: LEARNED_EDGE edges of run $run (null: every run), largest
// weight first, at most $top; the current version of each run's set only (kg.versions).
CALL () {
  MATCH (v:RelationshipSet {type: 'LEARNED_EDGE'})
  RETURN collect(v.version) AS current
}
MATCH edge = (:Gene)-[e:LEARNED_EDGE {perturbation: $perturbation}]->(:Gene)
WHERE e.version IN current AND ($run IS NULL OR e.run = $run)
RETURN edge
ORDER BY e.weight DESC
LIMIT $top
