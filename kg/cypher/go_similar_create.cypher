// Create the GO_SIMILAR edges of one build of a GO graph.
// rows: start, end gene ids, jaccard, rank. The build is new, so CREATE (not MERGE: a
// relationship MERGE would scan the graph's edges per row).
// mode: write
UNWIND $rows AS row
MATCH (a:Gene {id: row.start})
MATCH (b:Gene {id: row.end})
CREATE (a)-[r:GO_SIMILAR {graph: $go_graph, build: $build}]->(b)
SET r.jaccard = row.jaccard, r.rank = row.rank,
    r.source = $source, r.source_version = $build
RETURN count(r) AS created
