// GO terms whose name contains $text (case-insensitive), current terms first.
MATCH (t:GOTerm)
WHERE toLower(t.name) CONTAINS toLower($text)
OPTIONAL MATCH (t)<-[:ANNOTATED_WITH]-(g:Gene)
WITH t, count(DISTINCT g) AS n_genes
RETURN t.id AS term, t.name AS name, t.namespace AS namespace,
       coalesce(t.obsolete, false) AS obsolete, t.replaced_by AS replaced_by, n_genes
ORDER BY obsolete, n_genes DESC, term
LIMIT $limit
