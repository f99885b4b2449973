// Learned subgraph of one perturbation (id 'dataset/A+B'): LEARNED_EDGE rows of run $run (null:
// every run), strongest gate first, at most $top.
MATCH (s:Gene)-[e:LEARNED_EDGE {perturbation: $perturbation}]->(t:Gene)
WHERE $run IS NULL OR e.run = $run
RETURN s.symbol AS source, t.symbol AS target, e.weight AS weight, e.run AS run,
       e.perturbation AS perturbation
ORDER BY weight DESC, source, target
LIMIT $top
