// Copy up to $batch genes' vectors of one slot into another that lacks them; run until 0.
// A load of the same model keeps the genes its file does not name: their vectors move to the
// new slot, with their metadata ($meta: pairs [new slot's property, old slot's property]).
// mode: write
MATCH (g:Gene) WHERE g[$from] IS NOT NULL AND g[$to] IS NULL
WITH g LIMIT $batch
CALL db.create.setNodeVectorProperty(g, $to, g[$from])
WITH g
UNWIND $meta AS pair
SET g[pair[0]] = g[pair[1]]
RETURN count(DISTINCT g) AS copied
