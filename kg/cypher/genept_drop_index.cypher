// Drop a vector index whose dimension no longer matches the embeddings (replace mode).
// mode: write
DROP INDEX $index IF EXISTS
