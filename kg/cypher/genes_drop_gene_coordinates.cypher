// Remove coordinates that an older version kept on Gene nodes (they live on GeneLocus now).
// mode: write
// $species. Re-loading a gene annotation (`peaks genes`) runs it: the migration of old graphs.
MATCH (g:Gene {species: $species})
WHERE g.chrom IS NOT NULL OR g.assembly IS NOT NULL OR g.tss IS NOT NULL
REMOVE g.assembly, g.chrom, g.start, g.end, g.strand, g.tss
RETURN count(g) AS genes
