// The GO-graph neighbours of gene $gene in graph $go_graph, by rank.
// Incoming edges, as GEARS aggregates them, with the names of the direct GO terms both genes
// share.
MATCH (s:GOGraph {id: $go_graph})
WITH s.build AS build
MATCH (n:Gene)-[r:GO_SIMILAR {graph: $go_graph}]->(g:Gene {id: $gene})
WHERE r.version = build
OPTIONAL MATCH (n)-[a:ANNOTATED_WITH]->(t:GOTerm)
WHERE NOT coalesce(a.inferred, false)
  AND EXISTS { (g)-[b:ANNOTATED_WITH]->(t) WHERE NOT coalesce(b.inferred, false) }
WITH n, r, t ORDER BY t.name
WITH n, r, collect(DISTINCT t.name) AS shared_terms
RETURN n.id AS neighbour, r.rank AS rank, r.jaccard AS jaccard, shared_terms
ORDER BY rank
