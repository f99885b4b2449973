"""One Neo4j driver, one database name, managed transactions with retries.

Every query takes user values as parameters (``$name``); nothing is formatted into Cypher text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from neo4j import Driver, GraphDatabase, ManagedTransaction, Transaction
from neo4j.exceptions import AuthError, ServiceUnavailable

from priorgraph.config import Neo4jSettings

T = TypeVar("T")


class GraphConnectionError(RuntimeError):
    """Neo4j could not be reached or refused the credentials; the message says what to do."""


class Graph:
    """A connection to one database of one Neo4j DBMS.

    ``read``/``write`` run a single query in a managed transaction (retried by the driver on
    transient errors such as deadlocks or leader switches); ``read_tx``/``write_tx`` run a
    function of several queries the same way; ``transaction`` opens one explicit transaction
    for all-or-nothing work.
    """

    def __init__(self, settings: Neo4jSettings | None = None, *, max_retry_time: float = 30.0):
        self.settings = settings or Neo4jSettings.from_env()
        if self.settings.password is None:
            hint = (
                "run `priorgraph server start` first"
                if self.settings.local
                else "set NEO4J_PASSWORD"
            )
            raise GraphConnectionError(f"no password for {self.settings.uri}: {hint}")
        self.database = self.settings.database
        self._driver: Driver = GraphDatabase.driver(
            self.settings.uri,
            auth=(self.settings.user, self.settings.password),
            max_transaction_retry_time=max_retry_time,
        )

    @property
    def driver(self) -> Driver:
        return self._driver

    def verify(self) -> None:
        """Check that the server answers and accepts the credentials, with a clear error if not."""
        try:
            self._driver.verify_connectivity()
        except AuthError as err:
            raise GraphConnectionError(
                f"authentication failed for user '{self.settings.user}' at {self.settings.uri}: "
                f"wrong password (check NEO4J_PASSWORD or the local password file). Server said: "
                f"{err.message}"
            ) from err
        except (ServiceUnavailable, OSError) as err:
            hint = "run `priorgraph server start`" if self.settings.local else "check NEO4J_URI"
            raise GraphConnectionError(
                f"no Neo4j answers at {self.settings.uri}: {hint} ({err})"
            ) from err

    def read(self, query: str, parameters: Mapping[str, Any] | None = None) -> list[dict]:
        """Run a read-only query; the server refuses writes in it."""
        return self.read_tx(lambda tx: tx.run(query, dict(parameters or {})).data())

    def write(self, query: str, parameters: Mapping[str, Any] | None = None) -> list[dict]:
        """Run a query that may write, in a retried write transaction."""
        return self.write_tx(lambda tx: tx.run(query, dict(parameters or {})).data())

    def read_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        with self._session() as session:
            return session.execute_read(work)

    def write_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        with self._session() as session:
            return session.execute_write(work)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One explicit write transaction: committed when the block ends, rolled back on error."""
        with self._session() as session, session.begin_transaction() as tx:
            yield tx
            tx.commit()

    def _session(self):
        try:
            return self._driver.session(database=self.database)
        except AuthError as err:  # pragma: no cover - the driver raises lazily, see verify()
            raise GraphConnectionError(str(err)) from err

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
