// Wait (up to 300 s) until the named index is online.
CALL db.awaitIndex($index, 300)
