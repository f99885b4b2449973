// Remove up to $limit GO_SIMILAR edges of older builds of a GO graph; run until it returns 0.
// Deletes the edges of graph $go_graph whose build is not $build.
// mode: write
MATCH ()-[r:GO_SIMILAR {graph: $go_graph}]->()
WHERE r.build <> $build
WITH r LIMIT $limit
DELETE r
RETURN count(*) AS deleted
