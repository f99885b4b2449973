// The current versions of every relationship set of one type ($type, e.g. 'LINKED_TO').
// A reader that reads in pages takes these once and filters every page on them (kg.versions),
// so no page straddles a switch.
MATCH (v:RelationshipSet {type: $type})
RETURN collect(v.version) AS current
