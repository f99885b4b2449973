// Genes of one species placed on one assembly (coordinates, strand, TSS).
MATCH (g:Gene {species: $species})
WHERE g.assembly = $assembly AND g.chrom IS NOT NULL AND g.tss IS NOT NULL
RETURN g.id AS id, g.symbol AS symbol, g.chrom AS chrom, g.start AS start, g.end AS end,
       g.strand AS strand, g.tss AS tss
ORDER BY chrom, start
