// The predicted deltas of one run for one perturbation that the graph holds.
// The run's current version only (kg.versions); the graph keeps a run's strongest effects, the
// run's prediction matrix file every value (models.writeback).
MATCH (v:RelationshipSet {type: 'PREDICTED_EFFECT', run: $run})
WITH v.version AS current
MATCH (p:Perturbation {id: $perturbation})-[e:PREDICTED_EFFECT {run: $run}]->(g:Gene)
WHERE e.version = current
RETURN g.symbol AS gene, e.delta AS predicted
