// Store one embedding per gene: rows {id, symbol, species, vector}.
// Genes missing from the graph are created with this load's provenance; existing genes keep
// theirs and get the embedding's provenance in $meta (e.g. genept_model, genept_source,
// genept_source_version).
// mode: write
UNWIND $rows AS row
MERGE (g:Gene {id: row.id})
  ON CREATE SET g.symbol = row.symbol, g.species = row.species,
                g.source = $source, g.source_version = $source_version
SET g += $meta
WITH g, row
CALL db.create.setNodeVectorProperty(g, $property, row.vector)
RETURN count(g) AS stored
