// Genes of one species: approved symbols and Ensembl ids (the graph's part of a gene reference).
// $species.
MATCH (g:Gene {species: $species})
RETURN g.symbol AS symbol, g.ensembl AS ensembl
