// Co-expression edges of one data set split, in a stable order (for exports).
MATCH (s:Gene)-[r:COEXPRESSED {dataset: $dataset, split: $split}]->(t:Gene)
RETURN s.id AS source, t.id AS target, r.rho AS rho, r.rank AS rank
ORDER BY target, rank
