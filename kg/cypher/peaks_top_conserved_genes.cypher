// Genes with the most conserved regulatory input on one assembly: summed weights of conserved peaks.
// $assembly; $methods: list of link methods or null; $limit. Current link sets only.
CALL () {
  MATCH (v:RelationshipSet {type: 'LINKED_TO'})
  RETURN collect(v.version) AS current
}
MATCH (p:Peak {assembly: $assembly, conserved: true})-[r:LINKED_TO]->(g:Gene)
WHERE r.version IN current AND ($methods IS NULL OR r.method IN $methods)
WITH current, g, count(DISTINCT p) AS conserved_peaks, sum(r.weight) AS conserved_weight
OPTIONAL MATCH (:Peak {assembly: $assembly})-[link:LINKED_TO]->(g)
WHERE link.version IN current AND ($methods IS NULL OR link.method IN $methods)
RETURN g.symbol AS gene, conserved_peaks, conserved_weight,
       count(link) AS linked_peaks
ORDER BY conserved_weight DESC, gene
LIMIT $limit
