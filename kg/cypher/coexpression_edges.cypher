// Co-expression edges of one data set split, in a stable order (for exports).
// The current version of the split's set only (kg.versions: a replace switches in one step),
// read once: a property read per row could see the switch half-way through the scan.
MATCH (v:RelationshipSet {type: 'COEXPRESSED', dataset: $dataset, split: $split})
WITH v.version AS current
MATCH (s:Gene)-[r:COEXPRESSED {dataset: $dataset, split: $split}]->(t:Gene)
WHERE r.version = current
RETURN s.id AS source, t.id AS target, r.rho AS rho, r.rank AS rank
ORDER BY target, rank
