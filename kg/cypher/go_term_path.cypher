// A shortest path between GO terms $from and $to over IS_A/PART_OF in either direction.
// E.g. through their common ancestor: the terms on it and the relationship types walked.
MATCH (a:GOTerm {id: $from}), (b:GOTerm {id: $to})
MATCH p = shortestPath((a)-[:IS_A|PART_OF*..30]-(b))
RETURN [n IN nodes(p) | n.id] AS terms, [n IN nodes(p) | n.name] AS names,
       [r IN relationships(p) | type(r)] AS relations, length(p) AS length
