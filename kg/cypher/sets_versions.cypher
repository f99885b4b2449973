// The versions stored for each set of one relationship type, with their sizes.
// $type: a versioned type; $keys: its scope properties (kg.versions.SET_SCOPES), in order.
MATCH ()-[r:$($type)]->()
WHERE r.version IS NOT NULL
RETURN [k IN $keys | r[k]] AS scope, r.version AS version, count(*) AS count
ORDER BY version
