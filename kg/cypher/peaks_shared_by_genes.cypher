// Peaks of one assembly linked to both of two genes, with both link weights.
// $assembly, $gene_a, $gene_b (symbols); $methods: list of link methods or null. Current link
// sets only.
CALL () {
  MATCH (v:RelationshipSet {type: 'LINKED_TO'})
  RETURN collect(v.version) AS current
}
MATCH (a:Gene {symbol: $gene_a})<-[ra:LINKED_TO]-(p:Peak {assembly: $assembly})
      -[rb:LINKED_TO]->(b:Gene {symbol: $gene_b})
WHERE a.species = p.species AND b.species = p.species
  AND ($methods IS NULL OR (ra.method IN $methods AND rb.method IN $methods))
  AND ra.method = rb.method AND ra.version IN current AND rb.version IN current
RETURN p.id AS peak, coalesce(p.conserved, false) AS conserved, ra.method AS method,
       ra.weight AS weight_a, rb.weight AS weight_b
ORDER BY weight_a + weight_b DESC, peak
