// Genes one GO_SIMILAR step (either direction) from the given genes in GO graph $go_graph.
// $genes: gene ids; $max_rank: keep edges of rank <= k + 1 (the current build only).
MATCH (s:GOGraph {id: $go_graph})
WITH s.build AS build
MATCH (a:Gene)-[r:GO_SIMILAR {graph: $go_graph}]-(b:Gene)
WHERE a.id IN $genes AND r.version = build AND r.rank <= $max_rank AND a <> b
RETURN DISTINCT a.id AS gene, b.id AS neighbour
