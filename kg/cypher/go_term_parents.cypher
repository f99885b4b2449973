// Direct IS_A and PART_OF parents of every GO term (for true-path propagation).
MATCH (c:GOTerm)-[:IS_A|PART_OF]->(p:GOTerm)
RETURN c.id AS child, p.id AS parent
