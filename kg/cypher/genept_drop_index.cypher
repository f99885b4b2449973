// Drop the vector index of an embedding slot (when its vectors are cleared).
// mode: write
DROP INDEX $index IF EXISTS
