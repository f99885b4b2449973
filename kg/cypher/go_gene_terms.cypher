// GO term sets of genes from one annotation source ($source null: any), for the GO graph.
// $genes: gene ids to restrict to (null: every annotated gene); $include_inferred: also the
// propagated (true-path) annotations.
MATCH (g:Gene)-[a:ANNOTATED_WITH]->(t:GOTerm)
WHERE ($genes IS NULL OR g.id IN $genes)
  AND ($source IS NULL OR a.source = $source)
  AND ($include_inferred OR NOT coalesce(a.inferred, false))
RETURN g.id AS gene, collect(DISTINCT t.id) AS terms,
       collect(DISTINCT a.source_version) AS versions
