// Transactions still open that began before $since (server clock): the readers a retire waits for.
// Runs in a write session: SHOW TRANSACTIONS is an administrative command, which the read path
// refuses.
// mode: write
SHOW TRANSACTIONS YIELD transactionId, startTime, currentQuery
WHERE datetime(startTime) < $since
RETURN transactionId AS id, startTime AS started, currentQuery AS query
