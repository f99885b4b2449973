// Peak-gene links of a guidance graph, as one row of columns.
// One list per property: far fewer driver records than one row per link. $assembly, $species;
// $methods: list or null.
MATCH (p:Peak {assembly: $assembly})-[r:LINKED_TO]->(g:Gene {species: $species})
WHERE $methods IS NULL OR r.method IN $methods
RETURN collect(p.id) AS peak, collect(g.id) AS gene, collect(r.weight) AS weight,
       collect(r.sign) AS sign, collect(r.method) AS method
