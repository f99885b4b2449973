// Record that the old versions of these relationship sets are deleted (retire finished).
// mode: write
UNWIND $ids AS id
MATCH (s:RelationshipSet {id: id})
REMOVE s.retiring
