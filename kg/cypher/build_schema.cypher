// Every index of the database (constraints' own indexes included) with its state: a build's check.
SHOW INDEXES YIELD name, type, state
RETURN name, type, state
ORDER BY name
