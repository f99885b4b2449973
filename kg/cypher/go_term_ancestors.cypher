// Every ancestor of GO term $term (up IS_A and PART_OF) with its shortest distance.
MATCH p = (t:GOTerm {id: $term})-[:IS_A|PART_OF*1..]->(a:GOTerm)
WITH a, min(length(p)) AS distance
RETURN a.id AS term, a.name AS name, a.namespace AS namespace, distance
ORDER BY distance, term
