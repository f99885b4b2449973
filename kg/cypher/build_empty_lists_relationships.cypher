// Give a built store's relationships the empty lists the batch importer cannot write.
// $type, $property; the CSV holds [$marker] where the list is empty; $batch relationships per
// run (repeated until it returns 0).
// mode: write
MATCH ()-[r:$($type)]->()
WHERE r[$property] = [$marker]
WITH r LIMIT $batch
SET r[$property] = []
RETURN count(r) AS fixed
