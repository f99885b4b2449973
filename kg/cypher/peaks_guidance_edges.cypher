// Peak-gene links of one page of peaks (a guidance graph read in pages), as columns.
// $peaks: peak ids; $methods: list of link methods or null for all; $current: the current
// LINKED_TO versions, read once per export (kg.versions) so that no page straddles a switch.
// One list per property: far fewer driver records than one row per link.
UNWIND $peaks AS pid
MATCH (p:Peak {id: pid})-[r:LINKED_TO]->(g:Gene)
WHERE r.version IN $current AND ($methods IS NULL OR r.method IN $methods)
RETURN collect(pid) AS peak, collect(g.id) AS gene, collect(r.weight) AS weight,
       collect(r.sign) AS sign, collect(r.method) AS method
