// Make new versions of relationship sets current: one small transaction, the readers' switch.
// $sets: [{id, props: {type, version, count, source, source_version, <scope properties>}}]; the
// version it replaces becomes `retiring` until the retire has deleted it.
// mode: write
UNWIND $sets AS set
MERGE (s:RelationshipSet {id: set.id})
SET s.retiring = CASE WHEN s.version <> set.props.version THEN s.version END
SET s += set.props, s.pending = null, s.switched_at = datetime()
RETURN s.id AS id, s.retiring AS retiring
