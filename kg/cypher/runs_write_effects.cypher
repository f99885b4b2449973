// Create PREDICTED_EFFECT relationships of one new version of a run's effects (kg.versions).
// $genes: gene ids, indexed by the rows' g; rows: {c: perturbation id, g: gene indexes, d:
// deltas, r: ranks of |delta| within the perturbation, s: predictive sds or null}. A gene
// missing from the graph fails the batch (its slot is null) instead of shifting the others.
// mode: write
UNWIND $genes AS gene_id
OPTIONAL MATCH (g:Gene {id: gene_id})
WITH collect([g]) AS genes
UNWIND $rows AS row
MATCH (p:Perturbation {id: row.c})
UNWIND range(0, size(row.g) - 1) AS i
WITH p, genes[row.g[i]][0] AS g, row.d[i] AS delta, row.r[i] AS rank, row.s[i] AS sd
CREATE (p)-[:PREDICTED_EFFECT {run: $run, version: $version, delta: delta, rank: rank, sd: sd,
                               source: $source, source_version: $source_version}]->(g)
RETURN count(*) AS created
