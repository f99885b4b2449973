// Relationships of a built store that should hold an empty list (the importer cannot write one).
// $type, $property; the importer's CSV holds [$marker] where the list is empty. The ids go to
// build_empty_lists_relationships_set.
MATCH ()-[r:$($type)]->()
WHERE r[$property] = [$marker]
RETURN elementId(r) AS id
