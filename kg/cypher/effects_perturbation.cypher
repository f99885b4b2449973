// Genes predicted and/or observed to move under perturbation $condition (e.g. A+B).
// Predictions of run $run (null: every run), predicted rows first, then by |delta|; $dataset
// null: every data set; at most $top rows. The current version of each run's effects only
// (kg.versions).
CALL () {
  MATCH (v:RelationshipSet {type: 'PREDICTED_EFFECT'})
  RETURN collect(v.version) AS current
}
MATCH (p:Perturbation {condition: $condition})
WHERE $dataset IS NULL OR p.dataset = $dataset
CALL (p, current) {
  MATCH (p)-[e:PREDICTED_EFFECT]->(g:Gene)
  WHERE e.version IN current AND ($run IS NULL OR e.run = $run)
  OPTIONAL MATCH (p)-[o:OBSERVED_EFFECT]->(g)
  RETURN g, e.run AS run, e.delta AS predicted, e.rank AS rank, o.delta AS observed,
         o.de_rank AS de_rank
  UNION
  MATCH (p)-[o:OBSERVED_EFFECT]->(g:Gene)
  WHERE NOT EXISTS {
    MATCH (p)-[e:PREDICTED_EFFECT]->(g)
    WHERE e.version IN current AND ($run IS NULL OR e.run = $run)
  }
  RETURN g, null AS run, null AS predicted, null AS rank, o.delta AS observed,
         o.de_rank AS de_rank
}
RETURN g.symbol AS gene, p.dataset AS dataset, run, predicted, rank, observed, de_rank
ORDER BY predicted IS NULL, abs(coalesce(predicted, observed)) DESC, gene, run
LIMIT $top
