// One page of the peaks of an assembly, in id order, as columns (guidance-graph features).
// Peak ids start with "<assembly>:": $after (the last id of the previous page, "<assembly>:"
// for the first) and $before ("<assembly>;") bound an index range; $limit rows per page.
MATCH (p:Peak)
WHERE p.id > $after AND p.id < $before
WITH p ORDER BY p.id LIMIT $limit
RETURN collect(p.id) AS id, collect(p.chrom) AS chrom, collect(p.start) AS start,
       collect(p.end) AS end
