// Delete up to $limit PREDICTED_EFFECT relationships of one run; run until it returns 0.
// mode: write
MATCH ()-[e:PREDICTED_EFFECT {run: $run}]->()
WITH e LIMIT $limit
DELETE e
RETURN count(*) AS deleted
