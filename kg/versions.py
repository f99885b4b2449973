"""Relationship sets that switch in one step: written under a new version key, then made current.

A *set* is every relationship of one type whose scope properties match: the links of one method,
the co-expression graph of one data set split, the GO graph of one name, the predicted effects
or learned edges of one model run (:data:`SET_SCOPES`). Replacing a set:

1. **prepare**: delete what an interrupted earlier replace left (versions of the set that are
   not current: no reader ever sees them);
2. **write** the new relationships with ``CREATE`` and ``version = <key>``: still invisible, as
   readers keep only current versions. The key is a hash of the set's id, provenance and rows,
   so the same load gives the same key (a re-run finds its version current and writes nothing);
3. **publish**: one small transaction sets ``(:RelationshipSet {id}).version = <key>`` (with the
   count and provenance of the set): readers switch here, from the complete old set to the
   complete new one;
4. **retire**: wait until every transaction that began before the switch has ended (a reader
   that started on the old version finishes on it), then delete the old version in batches.

Readers keep a relationship of a versioned type only when its ``version`` is the current one
of its set: ``WHERE r.version IN current``, with ``current`` collected from the type's
``RelationshipSet`` nodes at the start of the query (every read query of a versioned type in
``kg/cypher`` does so; a test checks it). A relationship whose properties are being written or
deleted can read as having none (Neo4j applies a large commit record by record, and readers do
not wait for it), so a missing ``version`` is never taken as current.

A crash of client or server at any point leaves the pointer on the old version (steps 1–2) or
on the new one (3–4), each complete; running the same load again completes it. Two loads of the
*same* set must not run at once (the second's step 1 would delete the first's rows).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import pickle
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from neo4j import Transaction

from priorgraph.kg import cypher
from priorgraph.kg.connection import Graph
from priorgraph.kg.ids import SET_SCOPES

LABEL = "RelationshipSet"
DEFAULT_GRACE_S = 120.0  # longest a retire waits for readers that began on the old version
POLL_S = 0.05
DELETE_BATCH = 10_000
logger = logging.getLogger(__name__)


def set_id(rel_type: str, scope: Mapping[str, Any]) -> str:
    """The id of a set: ``LINKED_TO{"method":"window_combined_150kb"}``.

    Raises ``ValueError`` for a type that is not versioned or a scope that does not name
    exactly the type's scope properties (readers would not filter it).
    """
    keys = SET_SCOPES.get(rel_type)
    if keys is None:
        raise ValueError(f"{rel_type} is not a versioned relationship type ({sorted(SET_SCOPES)})")
    if set(scope) != set(keys) or any(scope[k] is None for k in keys):
        raise ValueError(f"a {rel_type} set is named by {keys}, got scope {dict(scope)}")
    return rel_type + json.dumps(dict(scope), sort_keys=True, separators=(",", ":"))


class ContentKey:
    """A running SHA-256 over what makes a set what it is; :meth:`hexdigest` is its version key.

    Rows are hashed with ``pickle`` (only ever dumped, never loaded: a fast, exact encoding of
    numbers and strings); the same rows in the same order give the same key.
    """

    def __init__(self, *parts: Any):
        self._hash = hashlib.sha256()
        for part in parts:
            self.update(part)

    def update(self, value: Any) -> None:
        self._hash.update(pickle.dumps(value, protocol=5))

    def hexdigest(self, length: int = 16) -> str:
        return self._hash.hexdigest()[:length]


@dataclass
class SetVersion:
    """A version of one set: what :func:`publish` makes current and :func:`retire` keeps."""

    rel_type: str
    scope: dict[str, Any]
    version: str
    count: int = 0
    provenance: dict[str, str] = field(default_factory=dict)  # source, source_version

    @property
    def id(self) -> str:
        return set_id(self.rel_type, self.scope)

    def record(self) -> dict[str, Any]:
        """The ``RelationshipSet`` node's properties for this version."""
        return {
            "id": self.id, "type": self.rel_type, "props": {
                **self.scope, "type": self.rel_type, "version": self.version,
                "count": self.count, **self.provenance,
            },
        }  # fmt: skip


def current_version(graph: Graph, rel_type: str, scope: Mapping[str, Any]) -> str | None:
    """The current version key of a set (None: the set was never published)."""
    rows = cypher.run(graph, "sets_current", id=set_id(rel_type, scope))
    return rows[0]["version"] if rows else None


def delete_other_versions(
    graph: Graph, rel_type: str, scope: Mapping[str, Any], *, keep: str | None
) -> int:
    """Delete every relationship of the set whose version is not ``keep`` (all of them for
    None), in batches of their own transactions; returns how many."""
    set_id(rel_type, scope)  # validates type and scope
    counters = graph.autocommit(
        cypher.load("sets_delete_other_versions"),
        {"type": rel_type, "scope": dict(scope), "keep": keep, "batch": DELETE_BATCH},
    )
    return counters.get("relationships_deleted", 0)


def prepare(
    graph: Graph,
    rel_type: str,
    scope: Mapping[str, Any],
    version: str,
    *,
    tx: Transaction | None = None,
) -> tuple[str | None, int]:
    """Step 1: the set's current version, after deleting every other version that an
    interrupted load may have left (never visible); then, unless ``version`` is current, the
    set is marked as receiving ``version``. Returns ``(current, deleted)``.

    Leftovers are searched for (a scan of the type) only when the set's node says a load or a
    retire did not finish (``pending``, ``retiring``): a load marks the set before its first
    row. With ``tx``
    (an open explicit transaction of the same load) all of it happens inside it: a separate
    transaction could wait forever on the locks that ``tx`` holds.
    """
    params = {"id": set_id(rel_type, scope)}
    if tx is not None:
        found = tx.run(cypher.load("sets_current"), params).single()
    else:
        found = next(iter(cypher.run(graph, "sets_current", **params)), None)
    current = found["version"] if found else None
    unfinished = found is not None and (found["pending"] or found["retiring"]) is not None
    deleted = 0
    if unfinished:
        if tx is not None:
            deleted = (
                tx.run(
                    cypher.load("sets_delete_other_versions_in_tx"),
                    {"type": rel_type, "scope": dict(scope), "keep": current},
                )
                .consume()
                .counters.relationships_deleted
            )
        else:
            deleted = delete_other_versions(graph, rel_type, scope, keep=current)
    if unfinished or current != version:
        mark = {**params, "type": rel_type, "scope": dict(scope),
                "pending": version if current != version else None}  # fmt: skip
        if tx is not None:
            tx.run(cypher.load("sets_mark_pending"), mark).consume()
        else:
            cypher.run(graph, "sets_mark_pending", **mark)
    return current, deleted


@dataclass(frozen=True)
class Switch:
    """A committed switch: when (the server's clock after the commit) and which sets' previous
    versions are now to be deleted (their ids)."""

    at: dt.datetime
    retiring: frozenset[str]


def publish(
    graph: Graph,
    versions: Sequence[SetVersion],
    *,
    also: Iterable[tuple[str, Mapping[str, Any]]] = (),
) -> Switch:
    """Step 3: make ``versions`` current in one small transaction, together with the statements
    of ``also`` (``(query, parameters)``, e.g. the run's node). :func:`retire` waits for the
    transactions older than the returned switch."""
    records = [v.record() for v in versions]
    statements = list(also)

    def work(tx) -> list[str]:
        retiring = []
        if records:
            result = tx.run(cypher.load("sets_publish"), {"sets": records})
            retiring = [r["id"] for r in result if r["retiring"] is not None]
        for query, params in statements:
            tx.run(query, dict(params)).consume()
        return retiring

    retiring = graph.write_tx(work)
    return Switch(server_time(graph), frozenset(retiring))


def server_time(graph: Graph) -> dt.datetime:
    """The server's clock now (transaction start times in :func:`wait_for_readers` are on it)."""
    return cypher.run(graph, "sets_server_time")[0]["now"]


def wait_for_readers(graph: Graph, since: dt.datetime, *, timeout: float = DEFAULT_GRACE_S) -> bool:
    """Wait until no transaction that began before ``since`` (server clock) is still open.

    Returns False when some still are after ``timeout`` seconds (logged: a reader that old may
    then see part of the old version go).
    """
    deadline = time.monotonic() + timeout
    while True:
        older = graph.write(cypher.load("sets_transactions_before"), {"since": since})
        if not older:
            return True
        if time.monotonic() >= deadline:
            logger.warning(
                "%d transaction(s) older than the switch still open after %.0f s "
                "(first: %s); deleting the old version anyway",
                len(older), timeout, older[0]["query"][:80],
            )  # fmt: skip
            return False
        time.sleep(POLL_S)


def retire(
    graph: Graph,
    versions: Sequence[SetVersion],
    switch: Switch,
    *,
    grace: float = DEFAULT_GRACE_S,
) -> int:
    """Step 4: once readers older than ``switch`` are done, delete every version but the
    published one of each set that had one before; returns how many relationships that
    deleted (nothing to wait for or scan when every set is new)."""
    old = [v for v in versions if v.id in switch.retiring]
    if not old:
        return 0
    wait_for_readers(graph, switch.at, timeout=grace)
    deleted = sum(delete_other_versions(graph, v.rel_type, v.scope, keep=v.version) for v in old)
    cypher.run(graph, "sets_retired", ids=[v.id for v in old])
    return deleted


def forget(graph: Graph, rel_type: str, scope: Mapping[str, Any]) -> int:
    """Remove a whole set: unpublish it (readers stop seeing it at once), wait for readers,
    delete its relationships. Returns how many were deleted."""
    cypher.run(graph, "sets_unpublish", id=set_id(rel_type, scope))
    wait_for_readers(graph, server_time(graph))
    return delete_other_versions(graph, rel_type, scope, keep=None)


def adopt_unversioned(graph: Graph) -> dict[str, int]:
    """Make the sets of a graph written before versioned sets readable again (``schema
    apply``): their relationships, which have no ``version``, get one (``GO_SIMILAR`` its
    ``build``, the others ``legacy``) and every set without a ``RelationshipSet`` node gets
    one naming it. Returns how many relationships of each type were adopted."""
    adopted: dict[str, int] = {}
    for rel_type, keys in SET_SCOPES.items():
        stamped = graph.autocommit(
            cypher.load("sets_adopt_unversioned"), {"type": rel_type, "batch": DELETE_BATCH}
        ).get("properties_set", 0)
        if not stamped:
            continue
        groups: dict[tuple, SetVersion] = {}
        for row in cypher.run(graph, "sets_versions", type=rel_type, keys=list(keys)):
            if None in row["scope"]:  # not part of any set: nothing names it
                continue
            found = SetVersion(rel_type, dict(zip(keys, row["scope"], strict=True)),
                               row["version"], row["count"])  # fmt: skip
            best = groups.get(tuple(row["scope"]))
            if best is None or found.count > best.count:
                groups[tuple(row["scope"])] = found
        new = [v for v in groups.values() if current_version(graph, rel_type, v.scope) is None]
        publish(graph, new)
        adopted[rel_type] = sum(v.count for v in new)
        logger.info("%s: %d sets of an earlier version adopted", rel_type, len(new))
    return adopted
