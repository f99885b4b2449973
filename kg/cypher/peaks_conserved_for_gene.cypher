// Conserved peaks of one assembly linked to one gene, strongest first, with the peaks they lift to.
// $assembly, $symbol; $methods: list of link methods or null for all. Current link sets only.
CALL () {
  MATCH (v:RelationshipSet {type: 'LINKED_TO'})
  RETURN collect(v.version) AS current
}
MATCH (p:Peak {assembly: $assembly})-[r:LINKED_TO]->(g:Gene {symbol: $symbol})
WHERE p.conserved = true AND g.species = p.species AND r.version IN current
  AND ($methods IS NULL OR r.method IN $methods)
OPTIONAL MATCH (p)-[l:LIFTS_TO]->(t:Peak)
RETURN p.id AS peak, r.method AS method, r.distance AS distance, r.weight AS weight,
       r.sign AS sign, collect(t.id) AS lifts_to, max(l.overlap) AS overlap
ORDER BY weight DESC, peak
