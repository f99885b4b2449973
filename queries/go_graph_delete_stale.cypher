// Remove up to $limit GO_SIMILAR edges of graph $go_graph left from builds other than $build
// (run until it returns 0).
MATCH ()-[r:GO_SIMILAR {graph: $go_graph}]->()
WHERE r.build <> $build
WITH r LIMIT $limit
DELETE r
RETURN count(*) AS deleted
