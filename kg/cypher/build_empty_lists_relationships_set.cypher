// Give relationships of a built store (by element id) the empty list the importer left out.
// $ids (from build_empty_lists_relationships_find), $property; $type, $marker unused here.
// mode: write
UNWIND $ids AS id
MATCH ()-[r]->()
WHERE elementId(r) = id
SET r[$property] = []
