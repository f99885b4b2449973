// Co-expression edges of one data set split, in a stable order (for exports).
// The current version of the split's set only (kg.versions: a replace switches in one step).
MATCH (v:RelationshipSet {type: 'COEXPRESSED', dataset: $dataset, split: $split})
MATCH (s:Gene)-[r:COEXPRESSED {dataset: $dataset, split: $split}]->(t:Gene)
WHERE r.version = v.version
RETURN s.id AS source, t.id AS target, r.rho AS rho, r.rank AS rank
ORDER BY target, rank
