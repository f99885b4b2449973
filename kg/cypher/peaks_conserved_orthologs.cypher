// Conserved regulation across species: peak-gene links kept by a lifted peak and an ortholog.
// A peak linked to a gene whose lifted peak is linked to that gene's ortholog. $species,
// $symbol (gene of the source species). Current link sets only.
CALL () {
  MATCH (v:RelationshipSet {type: 'LINKED_TO'})
  RETURN collect(v.version) AS current
}
MATCH (g:Gene {species: $species, symbol: $symbol})<-[r1:LINKED_TO]-(p:Peak)
      -[l:LIFTS_TO]->(q:Peak)-[r2:LINKED_TO]->(o:Gene)
WHERE r1.version IN current AND r2.version IN current AND (g)-[:ORTHOLOG_OF]-(o)
RETURN p.id AS peak, q.id AS lifted_peak, o.id AS ortholog, l.overlap AS overlap,
       r1.weight AS weight, r2.weight AS ortholog_weight
ORDER BY weight DESC, peak
