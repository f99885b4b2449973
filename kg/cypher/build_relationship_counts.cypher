// Relationship count per type, every version of every set included (a built store's check).
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS count
ORDER BY type
