// Features of a guidance graph: peaks of $assembly and genes of $species placed on it.
MATCH (p:Peak {assembly: $assembly})
RETURN 'peak' AS type, p.id AS id, p.chrom AS chrom, p.start AS start, p.end AS end,
       null AS symbol
UNION ALL
MATCH (g:Gene {species: $species, assembly: $assembly})
RETURN 'gene' AS type, g.id AS id, g.chrom AS chrom, g.start AS start, g.end AS end,
       g.symbol AS symbol
