// Prior edges for the simulator: GO_SIMILAR edges of GO graph $go_graph, as gene symbols.
// The current build's edges without self-loops, by target and rank.
MATCH (s:GOGraph {id: $go_graph})
WITH s.build AS build
MATCH (a:Gene)-[r:GO_SIMILAR {graph: $go_graph}]->(b:Gene)
WHERE r.version = build AND a <> b
RETURN a.symbol AS source, b.symbol AS target, r.jaccard AS jaccard
ORDER BY target, r.rank
