// Genes with the most conserved regulatory input: sum of link weights from conserved peaks.
// $species; $methods: list of link methods or null; $limit.
MATCH (p:Peak {conserved: true})-[r:LINKED_TO]->(g:Gene {species: $species})
WHERE $methods IS NULL OR r.method IN $methods
WITH g, count(DISTINCT p) AS conserved_peaks, sum(r.weight) AS conserved_weight
OPTIONAL MATCH (:Peak)-[link:LINKED_TO]->(g)
WHERE $methods IS NULL OR link.method IN $methods
RETURN g.symbol AS gene, conserved_peaks, conserved_weight,
       count(link) AS linked_peaks
ORDER BY conserved_weight DESC, gene
LIMIT $limit
