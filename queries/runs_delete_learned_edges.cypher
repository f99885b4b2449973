// Delete up to $limit LEARNED_EDGE relationships of one run (called until it returns 0).
MATCH ()-[e:LEARNED_EDGE {run: $run}]->()
WITH e LIMIT $limit
DELETE e
RETURN count(*) AS deleted
