// The peaks linked to gene $gene as a graph, strongest link first, with the peaks they lift to.
// For Neo4j Browser's graph view: at most $limit LINKED_TO links (every method); a conserved peak
// has conserved = true and a LIFTS_TO edge to its peak in the other assembly.
MATCH link = (p:Peak)-[r:LINKED_TO]->(:Gene {id: $gene})
WITH link, p, r
ORDER BY r.weight DESC
LIMIT $limit
OPTIONAL MATCH lift = (p)-[:LIFTS_TO]->(:Peak)
RETURN link, collect(lift) AS lifts
