// Features of a guidance graph: peaks of $assembly and genes of $species placed on it.
// As one row of columns (type, id, chrom, start, end, symbol lists; symbol is null for peaks).
CALL () {
  MATCH (p:Peak {assembly: $assembly})
  RETURN collect('peak') AS pt, collect(p.id) AS pid, collect(p.chrom) AS pc,
         collect(p.start) AS ps, collect(p.end) AS pe
}
CALL () {
  MATCH (g:Gene {species: $species, assembly: $assembly})
  RETURN collect('gene') AS gt, collect(g.id) AS gid, collect(g.chrom) AS gc,
         collect(g.start) AS gs, collect(g.end) AS ge, collect(g.symbol) AS gsym
}
RETURN pt + gt AS type, pid + gid AS id, pc + gc AS chrom, ps + gs AS start, pe + ge AS end,
       [x IN pid | null] + gsym AS symbol
