// Model runs, newest first, optionally of one data set.
MATCH (r:ModelRun)
WHERE $dataset IS NULL OR r.dataset = $dataset
RETURN r.id AS id, r.model AS model, r.dataset AS dataset, r.split AS split,
       r.n_effects AS n_effects, r.pearson_delta AS pearson_delta, r.created AS created
ORDER BY r.created DESC, r.id
