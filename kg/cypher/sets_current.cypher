// The current version key of one versioned relationship set, and what a load left unfinished.
// $id: the set id, e.g. 'LINKED_TO{"method":"window_combined_150kb"}' (kg.versions.set_id); no
// row: never loaded. pending: a version being written; retiring: a version being deleted.
MATCH (s:RelationshipSet {id: $id})
RETURN s.version AS version, s.count AS count, s.pending AS pending, s.retiring AS retiring
