// Make new versions of relationship sets current: one small transaction, the readers' switch.
// $sets: [{id, props: {type, version, count, source, source_version, <scope properties>}}].
// mode: write
UNWIND $sets AS set
MERGE (s:RelationshipSet {id: set.id})
SET s += set.props, s.switched_at = datetime()
