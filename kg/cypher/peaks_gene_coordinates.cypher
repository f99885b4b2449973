// Genes placed on one assembly: their locus there (coordinates, strand, TSS).
// $assembly. Input of window links; genes without a locus on the assembly are not returned.
MATCH (l:GeneLocus {assembly: $assembly})-[:LOCUS_OF]->(g:Gene)
RETURN g.id AS id, g.symbol AS symbol, l.chrom AS chrom, l.start AS start, l.end AS end,
       l.strand AS strand, l.tss AS tss
ORDER BY chrom, start
