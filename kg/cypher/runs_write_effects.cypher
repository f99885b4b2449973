// Create the PREDICTED_EFFECT relationships of one run.
// $genes: the gene ids, in the order of the delta vectors; rows: {p: perturbation id, offset:
// index of the first gene in the row, d: deltas, r: ranks of |delta| within the perturbation}.
// Callers delete the run's earlier effects first (runs_delete_effects), so writing a run again
// replaces it.
// mode: write
UNWIND $genes AS gene_id
MATCH (g:Gene {id: gene_id})
WITH collect(g) AS genes
UNWIND $rows AS row
MATCH (p:Perturbation {id: row.p})
UNWIND range(0, size(row.d) - 1) AS i
WITH p, genes[row.offset + i] AS g, row.d[i] AS delta, row.r[i] AS rank
CREATE (p)-[:PREDICTED_EFFECT {run: $run, delta: delta, rank: rank,
                               source: $source, source_version: $source_version}]->(g)
RETURN count(*) AS created
