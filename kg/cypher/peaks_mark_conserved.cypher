// Flag both ends of every LIFTS_TO relationship of one chain as conserved.
// mode: write
MATCH (a:Peak)-[:LIFTS_TO {chain: $chain}]->(b:Peak)
SET a.conserved = true, b.conserved = true
RETURN count(*) AS pairs
