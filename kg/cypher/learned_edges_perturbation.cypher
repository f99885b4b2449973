// The learned subgraph of one perturbation (id 'dataset/A+B'), strongest edge first.
// LEARNED_EDGE rows of run $run (null: every run), largest weight (the message the edge
// carried: AdaPert's edge flow) first, at most $top, with the edge's deterministic gate; the
// current version of each run's set only (kg.versions).
CALL () {
  MATCH (v:RelationshipSet {type: 'LEARNED_EDGE'})
  RETURN collect(v.version) AS current
}
MATCH (s:Gene)-[e:LEARNED_EDGE {perturbation: $perturbation}]->(t:Gene)
WHERE e.version IN current AND ($run IS NULL OR e.run = $run)
RETURN s.symbol AS source, t.symbol AS target, e.weight AS weight, e.gate AS gate, e.run AS run,
       e.perturbation AS perturbation
ORDER BY weight DESC, source, target
LIMIT $top
