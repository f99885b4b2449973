// Give nodes of a built store (by element id) the empty list the batch importer left out.
// $ids (from build_empty_lists_nodes_find), $property; $label, $marker unused here.
// mode: write
UNWIND $ids AS id
MATCH (n)
WHERE elementId(n) = id
SET n[$property] = []
