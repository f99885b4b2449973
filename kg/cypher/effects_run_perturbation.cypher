// Every predicted delta of one run for one perturbation (for plots against observed deltas).
MATCH (p:Perturbation {id: $perturbation})-[e:PREDICTED_EFFECT {run: $run}]->(g:Gene)
RETURN g.symbol AS gene, e.delta AS predicted
