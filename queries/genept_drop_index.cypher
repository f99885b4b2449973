// Drop a vector index whose dimension no longer matches the embeddings (replace mode).
DROP INDEX $index IF EXISTS
