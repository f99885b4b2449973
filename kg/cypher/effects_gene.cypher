// Perturbations predicted and/or observed to move gene $gene, predicted rows first.
// Predictions of run $run (null: every run); rows ordered by |delta|. rank: the gene's rank of
// |predicted delta| within the perturbation; de_rank: its observed DE rank (null when not among
// the perturbation's top DE). $dataset null: every data set; at most $top rows. The current
// version of each run's effects only (kg.versions).
CALL () {
  MATCH (v:RelationshipSet {type: 'PREDICTED_EFFECT'})
  RETURN collect(v.version) AS current
}
MATCH (g:Gene {id: $gene})
CALL (g, current) {
  MATCH (p:Perturbation)-[e:PREDICTED_EFFECT]->(g)
  WHERE e.version IN current AND ($run IS NULL OR e.run = $run)
  OPTIONAL MATCH (p)-[o:OBSERVED_EFFECT]->(g)
  RETURN p, e.run AS run, e.delta AS predicted, e.rank AS rank, o.delta AS observed,
         o.de_rank AS de_rank
  UNION
  MATCH (p:Perturbation)-[o:OBSERVED_EFFECT]->(g)
  WHERE NOT EXISTS {
    MATCH (p)-[e:PREDICTED_EFFECT]->(g)
    WHERE e.version IN current AND ($run IS NULL OR e.run = $run)
  }
  RETURN p, null AS run, null AS predicted, null AS rank, o.delta AS observed,
         o.de_rank AS de_rank
}
WITH p, run, predicted, rank, observed, de_rank
WHERE $dataset IS NULL OR p.dataset = $dataset
RETURN p.condition AS perturbation, p.dataset AS dataset, run, predicted, rank, observed,
       de_rank
ORDER BY predicted IS NULL, abs(coalesce(predicted, observed)) DESC, perturbation, run
LIMIT $top
