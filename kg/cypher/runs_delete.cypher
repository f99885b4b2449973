// Delete a ModelRun node (its effects are deleted first, in batches).
// mode: write
MATCH (r:ModelRun {id: $run})
DETACH DELETE r
RETURN count(*) AS deleted
