// Open transactions that began before $since (server clock): the readers a retire waits for.
// kg.versions runs it in a write session: the read path refuses administrative commands.
// mode: admin
SHOW TRANSACTIONS YIELD transactionId, startTime, currentQuery
WHERE datetime(startTime) < $since
RETURN transactionId AS id, startTime AS started, currentQuery AS query
