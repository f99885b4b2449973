// Remove one embedding kind from up to $batch genes; run until it returns 0.
// Replace mode: $cleared maps the embedding property and its metadata properties to null.
// mode: write
MATCH (g:Gene) WHERE g[$property] IS NOT NULL
WITH g LIMIT $batch
SET g += $cleared
RETURN count(g) AS cleared
