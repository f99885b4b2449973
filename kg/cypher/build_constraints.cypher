// Every constraint of the database by name: a build's check.
SHOW CONSTRAINTS YIELD name, type
RETURN name, type
ORDER BY name
