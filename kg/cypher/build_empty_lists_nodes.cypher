// Give a built store's nodes the empty lists the batch importer cannot write (it leaves them out).
// $label, $property; the CSV holds [$marker] where the list is empty; $batch nodes per run
// (repeated until it returns 0).
// mode: write
MATCH (n:$($label))
WHERE n[$property] = [$marker]
WITH n LIMIT $batch
SET n[$property] = []
RETURN count(n) AS fixed
