// Relationship count per type.
CALL db.relationshipTypes() YIELD relationshipType AS type
CALL (type) { MATCH ()-[r:$(type)]->() RETURN count(r) AS count }
WITH type, count WHERE count > 0
RETURN type, count
ORDER BY type
