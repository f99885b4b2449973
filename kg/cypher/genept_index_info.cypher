// Name, state, property and dimension of one vector index (no row when it does not exist).
SHOW VECTOR INDEXES YIELD name, state, properties, options
WHERE name = $index
RETURN name, state, properties[0] AS property,
       options.indexConfig.`vector.dimensions` AS dimension,
       options.indexConfig.`vector.similarity_function` AS similarity
