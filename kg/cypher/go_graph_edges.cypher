// Edges of GO graph $go_graph (its current build) between the given genes.
// Edges with rank <= $max_rank whose both ends are in $genes (gene ids).
MATCH (s:GOGraph {id: $go_graph})
WITH s.build AS build
MATCH (a:Gene)-[r:GO_SIMILAR {graph: $go_graph}]->(b:Gene)
WHERE r.version = build AND r.rank <= $max_rank AND a.id IN $genes AND b.id IN $genes
RETURN a.id AS source, b.id AS target, r.jaccard AS jaccard, r.rank AS rank
ORDER BY target, rank
