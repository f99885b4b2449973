// Mark a relationship set as receiving a new version ($pending; null: none), creating its node.
// Run once the set's leftovers are deleted, so it also clears `retiring`. $id, $type, $scope
// (the set's scope properties). Readers ignore it; a later load knows rows may be left over.
// mode: write
MERGE (s:RelationshipSet {id: $id})
SET s += $scope, s.type = $type, s.pending = $pending, s.retiring = null
