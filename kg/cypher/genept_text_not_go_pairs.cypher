// Gene pairs close in text embedding that share no GO term: links the GO graph lacks.
// Across all GO-annotated genes with an embedding: pairs at cosine >= $min_cosine (among each
// gene's $candidates nearest), at most $limit.
MATCH (a:Gene) WHERE a[$property] IS NOT NULL AND EXISTS { (a)-[:ANNOTATED_WITH]->(:GOTerm) }
CALL db.index.vector.queryNodes($index, $candidates + 1, a[$property]) YIELD node AS b
WITH a, b, 2 * vector.similarity.cosine(a[$property], b[$property]) - 1 AS cosine
WHERE a.id < b.id AND cosine >= $min_cosine
  AND EXISTS { (b)-[:ANNOTATED_WITH]->(:GOTerm) }
  AND NOT EXISTS { (a)-[:ANNOTATED_WITH]->(:GOTerm)<-[:ANNOTATED_WITH]-(b) }
RETURN a.symbol AS gene_a, b.symbol AS gene_b, round(cosine, 4) AS cosine
ORDER BY cosine DESC, gene_a, gene_b
LIMIT $limit
