"""Batched, idempotent writes: ``UNWIND $rows`` + ``MERGE`` on keys, stamped with provenance.

Rows go to the server in batches (10,000 by default), each batch in a managed write transaction
that the driver retries on transient errors; inside ``with writer.transaction():`` every batch of
every call goes into one transaction instead (all-or-nothing, for loads that fit the server's
transaction memory). Running the
same load twice leaves the same graph: nodes are merged on their unique key, relationships on
their endpoints plus the key properties that tell parallel relationships apart (a run id, a graph
name). Every node and relationship gets ``source`` and ``source_version``.

Ingest jobs parse and validate their whole input before the first write, so bad input never
leaves a half-written graph; an interrupted write (a server crash) is completed by re-running.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from itertools import islice
from typing import Any

from neo4j import Transaction

from priorgraph.core.utils import progress
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import ident

DEFAULT_BATCH_SIZE = 10_000
logger = logging.getLogger(__name__)

NODE_MERGE = """
UNWIND $rows AS row
MERGE (n:{label} {{{key}: row.{key}}})
SET n += row, n.source = $source, n.source_version = $source_version
"""

RELATIONSHIP_MERGE = """
UNWIND $rows AS row
MATCH (a:{start_label} {{{start_key}: row.start}})
MATCH (b:{end_label} {{{end_key}: row.end}})
MERGE (a)-[r:{rel_type}{merge_keys}]->(b)
SET r += row.props, r.source = $source, r.source_version = $source_version
RETURN count(r) AS matched
"""

RELATIONSHIP_CREATE = """
UNWIND $rows AS row
MATCH (a:{start_label} {{{start_key}: row.start}})
MATCH (b:{end_label} {{{end_key}: row.end}})
CREATE (a)-[r:{rel_type}]->(b)
SET r = row.props, r += $scope, r.source = $source, r.source_version = $source_version
RETURN count(r) AS matched
"""

# Deleting a scope: one pass in inner transactions (auto-commit), or one statement inside an
# explicit transaction (``BatchWriter.transaction``).
SCOPE_DELETE = """
MATCH ()-[r:{rel_type}]->()
WHERE {condition}
CALL (r) {{ DELETE r }} IN TRANSACTIONS OF 10000 ROWS
"""
SCOPE_DELETE_IN_TX = """
MATCH ()-[r:{rel_type}]->()
WHERE {condition}
DELETE r
"""

SOURCE_RECORD = """
MERGE (s:Source {id: $source})
SET s.version = $source_version, s.loaded_at = $loaded_at, s += $details
"""


@dataclass(frozen=True)
class Provenance:
    """Where data came from: a source name (``go.gaf.human``) and its version or release."""

    source: str
    version: str

    def params(self) -> dict[str, str]:
        return {"source": self.source, "source_version": self.version}


@dataclass
class WriteCounts:
    """What a load did; ``unmatched`` counts relationship rows whose endpoints do not exist."""

    rows: int = 0
    nodes_created: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0
    unmatched: int = 0

    def __iadd__(self, other: WriteCounts) -> WriteCounts:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of at most ``size`` items."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def node_merge_query(label: str, key: str = "id") -> str:
    return NODE_MERGE.format(label=ident(label), key=ident(key))


def _relationship_query(
    template: str, rel_type: str, start: tuple[str, str], end: tuple[str, str], **extra: str
) -> str:
    """Fill a relationship template's identifiers (checked: they cannot be parameters)."""
    return template.format(
        start_label=ident(start[0]),
        start_key=ident(start[1]),
        end_label=ident(end[0]),
        end_key=ident(end[1]),
        rel_type=ident(rel_type),
        **extra,
    )


def _relationship_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """``{"start", "end", **props}`` → the ``{"start", "end", "props"}`` the templates read."""
    props = {k: v for k, v in row.items() if k not in ("start", "end")}
    return {"start": row["start"], "end": row["end"], "props": props}


def relationship_merge_query(
    rel_type: str,
    start: tuple[str, str],
    end: tuple[str, str],
    keys: Sequence[str] = (),
) -> str:
    merge_keys = ", ".join(f"{ident(k)}: row.props.{ident(k)}" for k in keys)
    return _relationship_query(
        RELATIONSHIP_MERGE, rel_type, start, end, merge_keys=f" {{{merge_keys}}}" if keys else ""
    )


class BatchWriter:
    """Writes nodes and relationships of one source in batches; see the module docstring."""

    def __init__(
        self,
        graph: Graph,
        provenance: Provenance,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: bool = True,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self.graph = graph
        self.provenance = provenance
        self.batch_size = batch_size
        self.progress = progress
        self._tx: Transaction | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Write everything in the block in one transaction: committed at the end, or not at all."""
        if self._tx is not None:
            raise RuntimeError("BatchWriter.transaction() does not nest")
        with self.graph.transaction() as tx:
            self._tx = tx
            try:
                yield
            finally:
                self._tx = None

    def merge_nodes(
        self,
        label: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        key: str = "id",
        total: int | None = None,
    ) -> WriteCounts:
        """MERGE ``(:label {key: row[key]})`` and set every other entry of the row as a property."""
        query = node_merge_query(label, key)
        payload = (dict(row) for row in rows)
        return self._run(query, payload, total, f"{label} nodes", relationships=False)

    def merge_relationships(
        self,
        rel_type: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        start: tuple[str, str],
        end: tuple[str, str],
        keys: Sequence[str] = (),
        total: int | None = None,
    ) -> WriteCounts:
        """MERGE ``(a)-[:rel_type {keys}]->(b)`` for rows ``{"start": .., "end": .., **props}``.

        ``start``/``end`` are ``(label, key property)`` of the endpoint nodes, which must exist;
        rows whose endpoints are missing are counted in ``unmatched``, never created blindly.
        """
        query = relationship_merge_query(rel_type, start, end, keys)

        def payload() -> Iterator[dict[str, Any]]:
            for row in rows:
                missing = [k for k in keys if row.get(k) is None]
                if missing:
                    raise ValueError(f"{rel_type} row lacks merge key(s) {missing}: {dict(row)}")
                yield _relationship_row(row)

        return self._run(query, payload(), total, f"{rel_type} relationships", relationships=True)

    def replace_relationships(
        self,
        rel_type: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        start: tuple[str, str],
        end: tuple[str, str],
        scope: Mapping[str, Any],
    ) -> WriteCounts:
        """Replace every ``rel_type`` relationship whose properties match ``scope`` by ``rows``.

        For relationship sets owned by one key (a link method, a data set split, a run): the
        old set is deleted and the rows are CREATEd with ``scope`` set on each, so running the
        same load twice leaves the same graph, and a large load skips MERGE's per-row search.
        Rows must be distinct (start, end) pairs. Inside :meth:`transaction` the swap is atomic;
        otherwise a failure part-way leaves a partial set that re-running replaces.
        """
        if not scope:
            raise ValueError("replace_relationships needs a non-empty scope")
        pairs = [(row["start"], row["end"]) for row in rows]
        if len(set(pairs)) != len(pairs):
            raise ValueError(
                f"{rel_type} rows repeat a (start, end) pair within scope {dict(scope)}"
            )
        condition = " AND ".join(f"r.{ident(k)} = $scope.{ident(k)}" for k in scope)
        delete = SCOPE_DELETE_IN_TX if self._tx is not None else SCOPE_DELETE
        delete = delete.format(rel_type=ident(rel_type), condition=condition)
        if self._tx is not None:
            deleted = self._tx.run(delete, {"scope": dict(scope)}).consume()
            n_deleted = deleted.counters.relationships_deleted
        else:
            n_deleted = self.graph.autocommit(delete, {"scope": dict(scope)}).get(
                "relationships_deleted", 0
            )
        counts = self._run(
            _relationship_query(RELATIONSHIP_CREATE, rel_type, start, end),
            (_relationship_row(row) for row in rows),
            len(pairs),
            f"{rel_type} relationships",
            relationships=True,
            extra={"scope": dict(scope)},
        )
        counts.relationships_deleted += n_deleted
        return counts

    def execute(self, query: str, parameters: Mapping[str, Any] | None = None) -> None:
        """Run one more write statement of this load: inside :meth:`transaction` when one is
        open (so it commits or rolls back with the rest), else in its own write transaction."""
        if self._tx is not None:
            self._tx.run(query, dict(parameters or {})).consume()
        else:
            self.graph.write(query, parameters)

    def record_source(self, **details: Any) -> None:
        """MERGE a ``(:Source)`` node telling when this source/version was loaded (and counts)."""
        self.execute(SOURCE_RECORD, {
            **self.provenance.params(),
            "loaded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "details": details,
        })  # fmt: skip

    def _run(
        self,
        query: str,
        rows: Iterable[dict[str, Any]],
        total: int | None,
        what: str,
        *,
        relationships: bool,
        extra: Mapping[str, Any] | None = None,
    ) -> WriteCounts:
        counts = WriteCounts()
        params = {**self.provenance.params(), **(extra or {})}

        def run_batch(tx, batch: list[dict[str, Any]]) -> WriteCounts:
            result = tx.run(query, {**params, "rows": batch})
            matched = result.single()["matched"] if relationships else len(batch)
            c = result.consume().counters
            return WriteCounts(
                rows=len(batch),
                nodes_created=c.nodes_created,
                relationships_created=c.relationships_created,
                relationships_deleted=c.relationships_deleted,
                properties_set=c.properties_set,
                unmatched=len(batch) - matched,
            )

        show = self.progress and (total is None or total > self.batch_size)
        with progress(total=total, desc=what, enabled=show, unit="row") as bar:
            for batch in batched(rows, self.batch_size):
                if self._tx is not None:
                    counts += run_batch(self._tx, batch)
                else:
                    counts += self.graph.write_tx(lambda tx, b=batch: run_batch(tx, b))
                bar.update(len(batch))
        logger.debug("%s: %s", what, counts.as_dict())
        return counts
