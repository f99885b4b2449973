// The current version key of one versioned relationship set (no row: never published).
// $id: the set id, e.g. 'LINKED_TO{"method":"window_combined_150kb"}' (kg.versions.set_id).
MATCH (s:RelationshipSet {id: $id})
RETURN s.version AS version, s.count AS count
