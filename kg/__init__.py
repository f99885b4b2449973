"""Neo4j: the local server, the connection, the schema and the batched writer."""
