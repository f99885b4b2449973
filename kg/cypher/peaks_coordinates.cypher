// Peaks of one assembly with coordinates and conservation flag (input of window links).
MATCH (p:Peak {assembly: $assembly})
RETURN p.id AS id, p.chrom AS chrom, p.start AS start, p.end AS end,
       coalesce(p.conserved, false) AS conserved
ORDER BY chrom, start, end
