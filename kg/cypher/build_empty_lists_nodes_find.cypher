// Nodes of a built store that should hold an empty list (the batch importer cannot write one).
// $label, $property; the importer's CSV holds [$marker] where the list is empty. The ids go to
// build_empty_lists_nodes_set.
MATCH (n:$($label))
WHERE n[$property] = [$marker]
RETURN elementId(n) AS id
