"""Batched, idempotent writes: ``UNWIND $rows`` + ``MERGE`` on keys, stamped with provenance.

Rows go to the server in batches (10,000 by default), each batch in a managed write transaction
that the driver retries on transient errors; inside ``with writer.transaction():`` every batch of
every call goes into one transaction instead (all-or-nothing, for loads that fit the server's
transaction memory). Running the
same load twice leaves the same graph: nodes are merged on their unique key, relationships on
their endpoints plus the key properties that tell parallel relationships apart (a run id, a graph
name). Every node and relationship gets ``source`` and ``source_version``.

Relationship sets that a load owns (:data:`priorgraph.kg.versions.SET_SCOPES`: the links of a
method, a co-expression graph, a run's effects) are replaced whole by
:meth:`BatchWriter.replace_relationships`: the new set is CREATEd under a new version key and
switched in one step (:mod:`priorgraph.kg.versions`), so readers see the old set or the new
one, never a mix, and a crash at any point leaves one of them complete.

Ingest jobs parse and validate their whole input before the first write, so bad input never
leaves a half-written graph; an interrupted write (a server crash) is completed by re-running.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from itertools import islice
from typing import Any

from neo4j import Transaction

from priorgraph.core.utils import progress
from priorgraph.kg import versions
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

# A new version of a set, rows grouped by start node (``grouped_by_start``): each distinct end
# node of the batch is looked up once (its slot stays null when missing, so no other row moves),
# each start node once per group; ``$fixed`` holds what every row shares (scope, version,
# provenance). About 30 % less server CPU than one start and one end lookup per row.
RELATIONSHIP_CREATE = """
UNWIND $ends AS key
OPTIONAL MATCH (b:{end_label} {{{end_key}: key}})
WITH collect([b]) AS ends
UNWIND $rows AS row
MATCH (a:{start_label} {{{start_key}: row.start}})
UNWIND range(0, size(row.ends) - 1) AS i
WITH a, ends[row.ends[i]][0] AS b, row.props[i] AS props
WHERE b IS NOT NULL
CREATE (a)-[r:{rel_type}]->(b)
SET r = props, r += $fixed
RETURN count(r) AS matched
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


def grouped_by_start(batch: Sequence[Mapping[str, Any]]) -> dict[str, list]:
    """Parameters of :data:`RELATIONSHIP_CREATE` for ``{"start", "end", "props"}`` rows: the
    batch's distinct end keys, and per start key the positions of its ends and their props."""
    ends: dict[Any, int] = {}
    groups: dict[Any, dict[str, Any]] = {}
    for row in batch:
        position = ends.setdefault(row["end"], len(ends))
        group = groups.setdefault(row["start"], {"start": row["start"], "ends": [], "props": []})
        group["ends"].append(position)
        group["props"].append(row["props"])
    return {"ends": list(ends), "rows": list(groups.values())}


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
        self.written: list[versions.SetVersion] = []  # set versions this writer created
        self._pending: list[versions.SetVersion] = []  # switched when the transaction commits
        self._tx: Transaction | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Write everything in the block in one transaction: committed at the end, or not at all.

        Relationship sets replaced in the block become current after the commit, all in one
        switch (:func:`priorgraph.kg.versions.publish`); their old versions are deleted then.
        """
        if self._tx is not None:
            raise RuntimeError("BatchWriter.transaction() does not nest")
        self._pending = []
        with self.graph.transaction() as tx:
            self._tx = tx
            try:
                yield
            finally:
                self._tx = None
        pending, self._pending = self._pending, []
        self.switch(pending)

    def switch(
        self,
        new: Sequence[versions.SetVersion],
        *,
        also: Iterable[tuple[str, Mapping[str, Any]]] = (),
    ) -> int:
        """Make the written versions ``new`` current in one step (with the statements of
        ``also``), then delete their old versions; returns how many relationships that
        deleted."""
        also = list(also)
        if not new and not also:
            return 0
        switch = versions.publish(self.graph, new, also=also)
        return versions.retire(self.graph, new, switch)

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
        keys: Sequence[str] = (),
        version: str | None = None,
        defer: bool = False,
    ) -> WriteCounts:
        """Replace the ``rel_type`` set named by ``scope`` (e.g. ``{"method": "cicero"}``) by
        ``rows`` ``{"start", "end", **props}``, in one step for readers.

        The rows are CREATEd (no MERGE search: the version is new) with the scope, ``version``
        and provenance on each, then the set's pointer is switched to them and the old version
        deleted (:mod:`priorgraph.kg.versions`). ``version`` defaults to a hash of the set,
        provenance and rows: running the same load again finds it current and writes nothing.
        Rows must be distinct (start, end) pairs, or distinct in (start, end, *keys) for sets
        with parallel relationships (a run's learned edges, one per perturbation); rows whose
        endpoints do not exist are counted in ``unmatched``. Inside :meth:`transaction` the
        rows are part of its transaction and the switch follows its commit; ``defer=True``
        leaves the switch to the caller (the version is in :attr:`written`, for
        :meth:`switch`).
        """
        pairs = [(row["start"], row["end"], *(row[k] for k in keys)) for row in rows]
        if len(set(pairs)) != len(pairs):
            raise ValueError(
                f"{rel_type} rows repeat a (start, end{''.join(', ' + k for k in keys)}) "
                f"within scope {dict(scope)}"
            )
        scope = dict(scope)
        provenance = self.provenance.params()
        if version is None:
            key = versions.ContentKey(versions.set_id(rel_type, scope), provenance, start, end)
            for batch in batched(rows, self.batch_size):
                key.update([dict(row) for row in batch])
            version = key.hexdigest()
        current, leftovers = versions.prepare(self.graph, rel_type, scope, version, tx=self._tx)
        if current == version:
            logger.info("%s %s: version %s is current, nothing to write", rel_type, scope, version)
            return WriteCounts(rows=len(pairs), relationships_deleted=leftovers)
        counts = self._run(
            _relationship_query(RELATIONSHIP_CREATE, rel_type, start, end),
            (_relationship_row(row) for row in sorted(rows, key=lambda row: row["start"])),
            len(pairs),
            f"{rel_type} relationships",
            relationships=True,
            extra={"fixed": {**scope, "version": version, **provenance}},
            shape=grouped_by_start,
        )
        counts.relationships_deleted += leftovers
        new = versions.SetVersion(
            rel_type, scope, version, counts.relationships_created, provenance
        )
        self.written.append(new)
        if defer:
            return counts
        if self._tx is not None:
            self._pending.append(new)
        else:
            counts.relationships_deleted += self.switch([new])
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
        self.execute(SOURCE_RECORD, self.source_params(**details))

    def source_params(self, **details: Any) -> dict[str, Any]:
        """Parameters of :data:`SOURCE_RECORD` for this load (for a caller that runs it in its
        own switch, see :meth:`switch`)."""
        return {
            **self.provenance.params(),
            "loaded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "details": details,
        }

    def _run(
        self,
        query: str,
        rows: Iterable[dict[str, Any]],
        total: int | None,
        what: str,
        *,
        relationships: bool,
        extra: Mapping[str, Any] | None = None,
        shape: Callable[[list[dict[str, Any]]], dict[str, Any]] = lambda batch: {"rows": batch},
    ) -> WriteCounts:
        """Run ``query`` on batches of ``rows``; ``shape`` turns a batch into its parameters."""
        counts = WriteCounts()
        params = {**self.provenance.params(), **(extra or {})}

        def run_batch(tx, batch: list[dict[str, Any]]) -> WriteCounts:
            result = tx.run(query, {**params, **shape(batch)})
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
