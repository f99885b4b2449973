"""One Neo4j driver, one database name, managed transactions with retries.

Every query takes user values as parameters (``$name``); nothing is formatted into Cypher text.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from neo4j import (
    READ_ACCESS,
    WRITE_ACCESS,
    Driver,
    GraphDatabase,
    ManagedTransaction,
    NotificationMinimumSeverity,
    Transaction,
)
from neo4j.exceptions import (
    AuthError,
    IncompleteCommit,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from priorgraph.core.config import DEFAULT_USER, Neo4jSettings, database_name, external_settings
from priorgraph.core.errors import GraphConnectionError
from priorgraph.kg import read_only
from priorgraph.kg.server import LocalServer

T = TypeVar("T")
READ_ATTEMPTS = 3
CHECKED_READS = 1024  # query texts whose read-only check is remembered per connection


class Rows(list):
    """The rows of a read, as dicts, with the column names in the query's order:
    ``columns`` is known even when no row came back (a table of a query's result needs it)."""

    def __init__(self, rows: list[dict[str, Any]], columns: list[str]):
        super().__init__(rows)
        self.columns = columns


def resolve_settings() -> Neo4jSettings:
    """Where to connect: the Neo4j of ``NEO4J_URI`` when it is set, else the local server (its
    URI, user ``neo4j`` and its generated password, unless ``NEO4J_PASSWORD`` says otherwise)."""
    external = external_settings()
    if external is not None:
        return external
    server = LocalServer.default()
    return Neo4jSettings(
        uri=server.uri,
        user=DEFAULT_USER,
        password=os.environ.get("NEO4J_PASSWORD") or server.read_password(),
        database=database_name(),
        local=True,
    )


class Graph:
    """A connection to one database of one Neo4j DBMS.

    ``read`` runs one query that only reads (checked: :mod:`priorgraph.kg.read_only`), ``write``
    one query in a managed transaction (retried by the driver on transient errors such as
    deadlocks or leader switches); ``read_tx``/``write_tx`` run a function of several queries of
    priorgraph's own code the same way; ``transaction`` opens one explicit transaction for
    all-or-nothing work.
    """

    def __init__(self, settings: Neo4jSettings | None = None, *, max_retry_time: float = 30.0):
        self.settings = settings or resolve_settings()
        if self.settings.password is None:
            hint = (
                "run `priorgraph server start` first"
                if self.settings.local
                else "set NEO4J_PASSWORD"
            )
            raise GraphConnectionError(f"no password for {self.settings.uri}: {hint}")
        self.database = self.settings.database
        self._checked: set[str] = set()  # query texts that passed the read-only check
        self._driver: Driver = GraphDatabase.driver(
            self.settings.uri,
            auth=(self.settings.user, self.settings.password),
            max_transaction_retry_time=max_retry_time,
            # planner notices (e.g. "property key does not exist" on an empty graph) are noise
            # for a tool that owns its queries; errors still raise
            notifications_min_severity=NotificationMinimumSeverity.OFF,
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

    def read(self, query: str, parameters: Mapping[str, Any] | None = None) -> Rows:
        """Run a query that only reads the graph, whoever wrote it.

        The read-only check (:func:`priorgraph.kg.read_only.check`: ``EXPLAIN`` first, once per
        query text and connection) refuses writes, administrative commands and ``LOAD CSV`` with
        a :class:`~priorgraph.core.errors.ReadOnlyQueryError`; the read-access session makes the
        server refuse writes as well. The query is then an auto-commit query: one round trip
        fewer than a managed transaction (p50 1.6 ms against 3.5 ms for an indexed lookup
        here), which is what interactive lookups want; transient failures are retried a few
        times. The rows come with their column names (:class:`Rows`).
        """
        params = dict(parameters or {})
        for attempt in range(READ_ATTEMPTS):
            try:
                with self._session(READ_ACCESS) as session:
                    if query not in self._checked:
                        read_only.check(session, query, params, database=self.database)
                        if len(self._checked) >= CHECKED_READS:
                            self._checked.clear()
                        self._checked.add(query)
                    result = session.run(query, params)
                    return Rows(result.data(), list(result.keys()))
            except (TransientError, SessionExpired, ServiceUnavailable):
                if attempt == READ_ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    def write(self, query: str, parameters: Mapping[str, Any] | None = None) -> list[dict]:
        """Run a query that may write, in a retried write transaction."""
        return self.write_tx(lambda tx: tx.run(query, dict(parameters or {})).data())

    def read_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        with self._session(READ_ACCESS) as session:
            return session.execute_read(work)

    def write_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        with self._session() as session:
            return session.execute_write(work)

    def autocommit(self, query: str, parameters: Mapping[str, Any] | None = None) -> dict[str, int]:
        """Run one auto-commit query, e.g. ``CALL {…} IN TRANSACTIONS`` (which cannot run inside
        a managed transaction); returns the summary counters. Not retried."""
        with self._session() as session:
            counters = session.run(query, dict(parameters or {})).consume().counters
        return {k: v for k, v in vars(counters).items() if isinstance(v, int) and v}

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One explicit write transaction: committed when the block ends, rolled back on error.

        A connection lost on the way (the server stopped or crashed, the network dropped) is a
        :class:`GraphConnectionError` that says where the work stands: lost before the commit,
        the server rolled the transaction back and nothing of it is in the graph; lost during
        the commit, it may or may not be. Either way the work can be re-run (loads are
        idempotent).
        """
        try:
            with self._session() as session, session.begin_transaction() as tx:
                yield tx
                tx.commit()
        except IncompleteCommit as err:
            raise GraphConnectionError(
                f"lost the connection to Neo4j at {self.settings.uri} while committing: the "
                f"write may or may not be in the graph; {self._rerun_hint()} (loads are "
                "idempotent: re-running settles it)"
            ) from err
        except (ServiceUnavailable, SessionExpired) as err:
            raise GraphConnectionError(
                f"lost the connection to Neo4j at {self.settings.uri} during a write: the server "
                f"rolled the transaction back, nothing of it is in the graph; {self._rerun_hint()}"
            ) from err

    def _rerun_hint(self) -> str:
        """What to do after a lost connection."""
        if self.settings.local:
            return "start the server again (`priorgraph server start`) and re-run the command"
        return "re-run the command once the server answers again"

    def _session(self, access_mode: str = WRITE_ACCESS):
        try:
            return self._driver.session(database=self.database, default_access_mode=access_mode)
        except AuthError as err:  # pragma: no cover - the driver raises lazily, see verify()
            raise GraphConnectionError(str(err)) from err

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
