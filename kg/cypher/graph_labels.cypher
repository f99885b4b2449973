// Node count per label (labels come from the database, passed as dynamic labels).
CALL db.labels() YIELD label
CALL (label) { MATCH (n:$(label)) RETURN count(n) AS count }
WITH label, count WHERE count > 0
RETURN label, count
ORDER BY label
