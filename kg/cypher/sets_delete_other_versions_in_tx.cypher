// Delete the relationships of one set whose version is not $keep, inside a larger transaction.
// As sets_delete_other_versions, as one statement (an explicit transaction cannot run inner
// transactions): for what an interrupted load left, removed by the load that replaces it.
// mode: write
MATCH ()-[r:$($type)]->()
WHERE all(k IN keys($scope) WHERE r[k] = $scope[k])
  AND ($keep IS NULL OR r.version IS NULL OR r.version <> $keep)
DELETE r
