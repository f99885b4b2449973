// Give relationships of a versioned type that have no version one (written before versions).
// GO_SIMILAR keeps its build as its version; the others get 'legacy'. In batches of $batch rows,
// each its own transaction (an auto-commit query); `schema apply` runs it.
// mode: write
MATCH ()-[r:$($type)]->()
WHERE r.version IS NULL
CALL (r) {
  SET r.version = coalesce(r.build, 'legacy')
  REMOVE r.build
} IN TRANSACTIONS OF $batch ROWS
