// Peaks linked to both of two genes, with both link weights.
// $species, $gene_a, $gene_b (symbols); $methods: list of link methods or null. Current link
// sets only.
CALL () {
  MATCH (v:RelationshipSet {type: 'LINKED_TO'})
  RETURN collect(v.version) AS current
}
MATCH (a:Gene {species: $species, symbol: $gene_a})<-[ra:LINKED_TO]-(p:Peak)
      -[rb:LINKED_TO]->(b:Gene {species: $species, symbol: $gene_b})
WHERE ($methods IS NULL OR (ra.method IN $methods AND rb.method IN $methods))
  AND ra.method = rb.method AND ra.version IN current AND rb.version IN current
RETURN p.id AS peak, coalesce(p.conserved, false) AS conserved, ra.method AS method,
       ra.weight AS weight_a, rb.weight AS weight_b
ORDER BY weight_a + weight_b DESC, peak
