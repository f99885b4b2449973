// Genes of one species by symbol (to resolve symbols of an embedding file against the graph).
MATCH (g:Gene {species: $species})
RETURN g.symbol AS symbol, g.id AS id
