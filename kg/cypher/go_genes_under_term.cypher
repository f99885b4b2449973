// Genes annotated to GO term $term or any of its descendants (down IS_A and PART_OF).
// With the most specific annotated terms that put them there.
MATCH (top:GOTerm {id: $term})<-[:IS_A|PART_OF*0..]-(d:GOTerm)<-[:ANNOTATED_WITH]-(g:Gene)
WITH g, d ORDER BY d.id
WITH g, collect(DISTINCT d.id) AS via
RETURN g.id AS gene, g.symbol AS symbol, via
ORDER BY gene
