// Delete up to $limit LEARNED_EDGE relationships of one run; run until it returns 0.
// mode: write
MATCH ()-[e:LEARNED_EDGE {run: $run}]->()
WITH e LIMIT $limit
DELETE e
RETURN count(*) AS deleted
