// Peaks linked to both of two genes, with both link weights.
// $species, $gene_a, $gene_b (symbols); $methods: list of link methods or null.
MATCH (a:Gene {species: $species, symbol: $gene_a})<-[ra:LINKED_TO]-(p:Peak)
      -[rb:LINKED_TO]->(b:Gene {species: $species, symbol: $gene_b})
WHERE ($methods IS NULL OR (ra.method IN $methods AND rb.method IN $methods))
  AND ra.method = rb.method
RETURN p.id AS peak, coalesce(p.conserved, false) AS conserved, ra.method AS method,
       ra.weight AS weight_a, rb.weight AS weight_b
ORDER BY weight_a + weight_b DESC, peak
