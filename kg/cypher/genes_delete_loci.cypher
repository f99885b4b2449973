// Delete the gene loci of one assembly (before its annotation is loaded again).
// mode: write
// $assembly.
MATCH (l:GeneLocus {assembly: $assembly})
DETACH DELETE l
RETURN count(*) AS loci
