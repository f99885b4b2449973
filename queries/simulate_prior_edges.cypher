// Prior edges for the simulator: GO_SIMILAR edges (no self-loops) of GO graph $go_graph's current
// build, as gene symbols, strongest first.
MATCH (s:GOGraph {id: $go_graph})
MATCH (a:Gene)-[r:GO_SIMILAR {graph: $go_graph}]->(b:Gene)
WHERE r.build = s.build AND a <> b
RETURN a.symbol AS source, b.symbol AS target, r.jaccard AS jaccard
ORDER BY target, r.rank
