// Edges of build $build of GO graph $go_graph into one page of target genes, as columns.
// $targets: the page's target gene ids; $genes: every gene id of the export (sources must be
// among them); edges with rank <= $max_rank, in (target, rank) order. The export reads the
// current build once (go_graphs) and passes it to every page.
UNWIND $targets AS tid
MATCH (a:Gene)-[r:GO_SIMILAR {graph: $go_graph}]->(b:Gene {id: tid})
WHERE r.version = $build AND r.rank <= $max_rank AND a.id IN $genes
WITH a, b, r ORDER BY b.id, r.rank
RETURN collect(a.id) AS source, collect(b.id) AS target, collect(r.jaccard) AS jaccard,
       collect(r.rank) AS rank
