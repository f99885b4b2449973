// Peak–gene links of a guidance graph. $assembly, $species; $methods: list or null for all.
MATCH (p:Peak {assembly: $assembly})-[r:LINKED_TO]->(g:Gene {species: $species})
WHERE $methods IS NULL OR r.method IN $methods
RETURN p.id AS peak, g.id AS gene, r.weight AS weight, r.sign AS sign, r.method AS method
