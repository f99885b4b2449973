// Genes sharing at least $min_shared direct GO terms with gene $gene, most shared first.
// $gene: a gene id, e.g. 'human:KLF1'; $min_shared and $limit: integers.
MATCH (g:Gene {id: $gene})-[a:ANNOTATED_WITH]->(t:GOTerm)<-[b:ANNOTATED_WITH]-(other:Gene)
WHERE other <> g AND NOT coalesce(a.inferred, false) AND NOT coalesce(b.inferred, false)
WITH other, t ORDER BY t.id
WITH other, collect(DISTINCT t.id) AS shared
WHERE size(shared) >= $min_shared
RETURN other.id AS gene, size(shared) AS n_shared, shared
ORDER BY n_shared DESC, gene
LIMIT $limit
