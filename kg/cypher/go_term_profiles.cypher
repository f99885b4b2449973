// Direct GO terms of the given genes, each with the number of genes it annotates (for IDF weights).
// $genes: gene ids. Inferred (true-path) annotations are left out, as in the GEARS GO graph.
MATCH (g:Gene)-[a:ANNOTATED_WITH]->(t:GOTerm)
WHERE g.id IN $genes AND NOT coalesce(a.inferred, false)
WITH DISTINCT g, t
RETURN g.id AS gene, t.id AS term,
       COUNT { (t)<-[b:ANNOTATED_WITH]-(:Gene) WHERE NOT coalesce(b.inferred, false) } AS n_genes
