// Edges of GO graph $go_graph (its current build) into one page of target genes, as columns.
// $targets: the page's target gene ids; $genes: every gene id of the export (sources must be
// among them); edges with rank <= $max_rank, in (target, rank) order.
MATCH (s:GOGraph {id: $go_graph})
UNWIND $targets AS tid
MATCH (a:Gene)-[r:GO_SIMILAR {graph: $go_graph}]->(b:Gene {id: tid})
WHERE r.build = s.build AND r.rank <= $max_rank AND a.id IN $genes
WITH a, b, r ORDER BY b.id, r.rank
RETURN collect(a.id) AS source, collect(b.id) AS target, collect(r.jaccard) AS jaccard,
       collect(r.rank) AS rank
