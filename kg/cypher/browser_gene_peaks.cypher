// The peaks linked to gene $gene as a graph, strongest link first, with the peaks they lift to.
// For Neo4j Browser's graph view: at most $limit LINKED_TO links (every method); a conserved peak
// has conserved = true and a LIFTS_TO edge to its peak in the other assembly. Current link
// sets only (kg.versions).
CALL () {
  MATCH (v:RelationshipSet {type: 'LINKED_TO'})
  RETURN collect(v.version) AS current
}
MATCH link = (p:Peak)-[r:LINKED_TO]->(:Gene {id: $gene})
WHERE r.version IN current
WITH link, p, r
ORDER BY r.weight DESC
LIMIT $limit
OPTIONAL MATCH lift = (p)-[:LIFTS_TO]->(:Peak)
RETURN link, collect(lift) AS lifts
