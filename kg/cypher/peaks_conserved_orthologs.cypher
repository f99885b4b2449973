// Conserved regulation across species: peak-gene links kept by a lifted peak and an ortholog.
// A peak of $assembly linked to the gene $symbol, whose lifted peak is linked to that gene's
// ortholog (on the lifted peak's assembly). Current link sets only.
CALL () {
  MATCH (v:RelationshipSet {type: 'LINKED_TO'})
  RETURN collect(v.version) AS current
}
MATCH (g:Gene {symbol: $symbol})<-[r1:LINKED_TO]-(p:Peak {assembly: $assembly})
      -[l:LIFTS_TO]->(q:Peak)-[r2:LINKED_TO]->(o:Gene)
WHERE g.species = p.species AND r1.version IN current AND r2.version IN current
  AND (g)-[:ORTHOLOG_OF]-(o)
RETURN p.id AS peak, q.id AS lifted_peak, o.id AS ortholog, l.overlap AS overlap,
       r1.weight AS weight, r2.weight AS ortholog_weight
ORDER BY weight DESC, peak
