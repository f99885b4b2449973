// One page of the genes placed on an assembly (by locus id), as columns (guidance features).
// Locus ids start with "<assembly>:": $after (the last locus id of the previous page,
// "<assembly>:" for the first) and $before ("<assembly>;") bound an index range; $limit loci.
MATCH (l:GeneLocus)
WHERE l.id > $after AND l.id < $before
WITH l ORDER BY l.id LIMIT $limit
WITH collect(l) AS page
UNWIND page AS l
MATCH (l)-[:LOCUS_OF]->(g:Gene)
RETURN size(page) AS loci, page[-1].id AS last, collect(g.id) AS id, collect(g.symbol) AS symbol
