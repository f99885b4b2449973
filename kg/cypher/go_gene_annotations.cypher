// The GO terms of gene $gene with namespace, evidence and whether they were inferred.
// $include_inferred false: direct annotations only (no true-path propagation).
MATCH (g:Gene {id: $gene})-[a:ANNOTATED_WITH]->(t:GOTerm)
WHERE $include_inferred OR NOT coalesce(a.inferred, false)
RETURN t.id AS term, t.name AS name, t.namespace AS namespace, a.evidence AS evidence,
       a.source AS source, coalesce(a.inferred, false) AS inferred
ORDER BY namespace, term
