// How many genes carry the embedding property, per model and dimension.
MATCH (g:Gene) WHERE g[$property] IS NOT NULL
RETURN g[$model_property] AS model, size(g[$property]) AS dimension, count(g) AS genes
ORDER BY genes DESC
