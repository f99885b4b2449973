// Remove up to $limit GO_SIMILAR edges of one build of a GO graph; run until it returns 0.
// Deletes the edges of graph $go_graph whose build is $build (what an interrupted run left).
// mode: write
MATCH ()-[r:GO_SIMILAR {graph: $go_graph}]->()
WHERE r.build = $build
WITH r LIMIT $limit
DELETE r
RETURN count(*) AS deleted
