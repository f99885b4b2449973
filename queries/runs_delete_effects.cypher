// Delete up to $limit PREDICTED_EFFECT relationships of one run (called until it returns 0).
MATCH ()-[e:PREDICTED_EFFECT {run: $run}]->()
WITH e LIMIT $limit
DELETE e
RETURN count(*) AS deleted
