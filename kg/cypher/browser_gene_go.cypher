// Gene $gene's GO neighbourhood as a graph: its GO terms and its neighbours in GO graph $go_graph.
// For Neo4j Browser's graph view: the gene, the GOTerm nodes it is annotated with (propagated
// annotations left out) and the genes whose GO_SIMILAR edge of $go_graph's current build points
// to it (incoming, as GEARS aggregates them).
MATCH (g:Gene {id: $gene})
OPTIONAL MATCH term = (g)-[a:ANNOTATED_WITH]->(:GOTerm)
WHERE NOT coalesce(a.inferred, false)
WITH g, collect(term) AS terms
OPTIONAL MATCH (s:GOGraph {id: $go_graph})
WITH g, terms, s.build AS build
OPTIONAL MATCH similar = (:Gene)-[r:GO_SIMILAR {graph: $go_graph}]->(g)
WHERE r.version = build
RETURN g AS gene, terms, collect(similar) AS neighbours
