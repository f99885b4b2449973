// Cosine similarity of two genes' embeddings (null when either has none).
MATCH (a:Gene {id: $gene_a}), (b:Gene {id: $gene_b})
RETURN a.symbol AS gene_a, b.symbol AS gene_b,
       round(vector.similarity.cosine(a[$property], b[$property]) * 2 - 1, 4) AS cosine
