// Model runs with a prediction matrix file: its path and the sha256 its manifest must have.
// $run: one run id or null (every run); $dataset: one data set or null.
MATCH (r:ModelRun)
WHERE r.matrix_path IS NOT NULL AND ($run IS NULL OR r.id = $run)
  AND ($dataset IS NULL OR r.dataset = $dataset)
RETURN r.id AS run, r.dataset AS dataset, r.matrix_path AS matrix_path,
       r.matrix_sha256 AS matrix_sha256
ORDER BY run
