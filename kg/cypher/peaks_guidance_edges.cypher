// Peak-gene links of a guidance graph, as one row of columns.
// One list per property: far fewer driver records than one row per link. $assembly, $species;
// $methods: list or null. Current link sets only (kg.versions).
CALL () {
  MATCH (v:RelationshipSet {type: 'LINKED_TO'})
  RETURN collect(v.version) AS current
}
MATCH (p:Peak {assembly: $assembly})-[r:LINKED_TO]->(g:Gene {species: $species})
WHERE r.version IN current AND ($methods IS NULL OR r.method IN $methods)
RETURN collect(p.id) AS peak, collect(g.id) AS gene, collect(r.weight) AS weight,
       collect(r.sign) AS sign, collect(r.method) AS method
