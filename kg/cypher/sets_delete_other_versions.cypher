// Delete the relationships of one set whose version is not $keep ($keep null: all of them).
// $type: the relationship type; $scope: the set's scope properties, e.g. {run: 'r1'}; deletes in
// batches of $batch rows, each its own transaction (run as an auto-commit query).
// mode: write
MATCH ()-[r:$($type)]->()
WHERE all(k IN keys($scope) WHERE r[k] = $scope[k])
  AND ($keep IS NULL OR r.version IS NULL OR r.version <> $keep)
CALL (r) { DELETE r } IN TRANSACTIONS OF $batch ROWS
