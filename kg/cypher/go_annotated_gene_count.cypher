// How many genes carry at least one direct GO annotation (the N of IDF weights log N / n_t).
MATCH (g:Gene)
WHERE EXISTS { (g)-[a:ANNOTATED_WITH]->(:GOTerm) WHERE NOT coalesce(a.inferred, false) }
RETURN count(g) AS n
