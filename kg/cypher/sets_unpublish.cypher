// Remove the pointer of a relationship set: readers stop seeing any of its versions at once.
// mode: write
MATCH (s:RelationshipSet {id: $id})
DETACH DELETE s
