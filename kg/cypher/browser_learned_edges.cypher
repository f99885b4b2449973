// The learned subgraph of perturbation $perturbation (id 'dataset/A+B') as a graph.
// For Neo4j Browser's graph view: LEARNED_EDGE edges of run $run (null: every run), largest
// weight first, at most $top.
MATCH edge = (:Gene)-[e:LEARNED_EDGE {perturbation: $perturbation}]->(:Gene)
WHERE $run IS NULL OR e.run = $run
RETURN edge
ORDER BY e.weight DESC
LIMIT $top
