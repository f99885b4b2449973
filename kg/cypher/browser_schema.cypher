// The graph's schema as a picture: every label and the relationship types between them.
// For Neo4j Browser's graph view (the priorgraph guide, docs/architecture.md).
CALL db.schema.visualization()
