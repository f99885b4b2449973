// Relationship count per type, as readers see them.
// Versioned types ($versioned, kg.versions.SET_SCOPES) count the current version of each set
// only: the versions a load is writing or retiring are not counted.
CALL db.relationshipTypes() YIELD relationshipType AS type
CALL (type) {
  WITH type WHERE NOT type IN $versioned
  MATCH ()-[r:$(type)]->()
  RETURN count(r) AS count
  UNION ALL
  WITH type WHERE type IN $versioned
  OPTIONAL MATCH (v:RelationshipSet {type: type})
  WITH type, collect(v.version) AS current
  MATCH ()-[r:$(type)]->()
  WHERE r.version IN current
  RETURN count(r) AS count
}
WITH type, sum(count) AS count WHERE count > 0
RETURN type, count
ORDER BY type
