// The genes with the most direct GO annotations in namespace $namespace.
// $namespace: 'biological_process', 'molecular_function' or 'cellular_component'.
MATCH (g:Gene)-[a:ANNOTATED_WITH]->(t:GOTerm {namespace: $namespace})
WHERE NOT coalesce(a.inferred, false)
WITH g, count(DISTINCT t) AS n_terms
RETURN g.id AS gene, n_terms
ORDER BY n_terms DESC, gene
LIMIT $limit
