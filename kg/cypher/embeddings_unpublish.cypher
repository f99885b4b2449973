// Remove the pointer of an embedding kind: readers stop seeing its vectors at once.
// mode: write
MATCH (e:EmbeddingSet {id: $property})
DETACH DELETE e
