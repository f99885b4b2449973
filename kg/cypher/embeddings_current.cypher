// The current slot of an embedding kind: property, index, model, dimension, genes, version.
// $property: the kind's own property (e.g. 'genept'); no row: the kind was never switched (its
// vectors, if any, are in that property).
MATCH (e:EmbeddingSet {id: $property})
RETURN e.property AS property, e.index AS index, e.model AS model, e.dimension AS dimension,
       e.genes AS genes, e.version AS version
