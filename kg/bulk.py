"""Bulk builds: the writer's API with gzipped CSV files as its sink, for Neo4j's batch importer.

:class:`BulkWriter` has :class:`~priorgraph.kg.writer.BatchWriter`'s public API
(``merge_nodes``, ``merge_relationships``, ``replace_relationships``, ``record_source``,
``switch``, ``execute`` of the writer's own statements, ``transaction``), so an ingest job's
row code runs unchanged and only the sink differs. The rows go into one :class:`BulkGraph`,
which applies what the online statements would do to an empty graph:

* nodes are merged on their key and get ``source``/``source_version`` (``SET n += row``: the
  last write of a property wins, a ``None`` leaves it as it was);
* merged relationships are kept once per (start, end, merge keys), and only when both ends
  exist at the time of the write (else counted ``unmatched``, like the online ``MATCH``);
* a replaced set (:mod:`priorgraph.kg.versions`) is written under its version key with its
  scope and provenance, and :meth:`BulkWriter.switch` adds its ``RelationshipSet`` pointer with
  the properties ``sets_publish`` gives it;
* ``(:Source)`` records as ``SOURCE_RECORD`` writes them.

:meth:`BulkGraph.write` then writes one gzipped CSV per label and per relationship type and
end labels, headers typed from the values (``long``, ``double``, ``boolean``, ``string``,
``datetime`` and their arrays; ``float[]`` for float32 vectors), and returns the importer's
arguments (:class:`BulkFiles`).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import numbers
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from priorgraph.core.utils import progress as progress_bar
from priorgraph.kg import versions
from priorgraph.kg.schema import UNIQUE_KEYS, ident
from priorgraph.kg.writer import (
    SOURCE_RECORD,
    BatchWriter,
    Provenance,
    WriteCounts,
    _relationship_row,
    batched,
    node_merge_query,
)

ARRAY_DELIMITER = "\x1f"  # the unit separator: no GO synonym, gene name or id contains it
# The importer leaves empty lists out (neo4j/neo4j#13566): they are written as [EMPTY_LIST]
# and set to [] after the import (``build_empty_lists_*``).
EMPTY_LIST = "\x1e"
COMPRESS_LEVEL = 1  # the importer reads faster than gzip writes: favour speed over size
Endpoint = tuple[str, str]


class BulkError(ValueError):
    """A statement or value that has no bulk form (the online writer would take it)."""


@dataclass
class _RelationshipGroup:
    """The relationships of one type between two labels: merged ones by key, created ones
    (versions of sets) per set id, with the properties all of a set's rows share."""

    merged: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    sets: dict[str, tuple[dict[str, Any], list[tuple[Any, Any, dict[str, Any]]]]] = field(
        default_factory=dict
    )

    def rows(self) -> Iterator[tuple[Any, Any, dict[str, Any], dict[str, Any]]]:
        """``(start, end, properties, shared properties)``; shared ones win (``r += $fixed``)."""
        for key, props in self.merged.items():
            yield key[0], key[1], props, _NO_PROPS
        for fixed, rows in self.sets.values():
            for start, end, props in rows:
                yield start, end, props, fixed

    def __len__(self) -> int:
        return len(self.merged) + sum(len(rows) for _, rows in self.sets.values())


@dataclass(frozen=True)
class BulkFiles:
    """What :meth:`BulkGraph.write` wrote: the importer's ``--nodes``/``--relationships``
    arguments (``Label=FILE`` / ``TYPE=FILE``), its other options, and the expected counts."""

    directory: Path
    nodes: list[str]
    relationships: list[str]
    options: list[str]
    labels: dict[str, int]
    types: dict[str, int]
    empty_lists: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # DDL the build adds to the schema (vector indexes of embedding kinds): name -> (query, params)
    indexes: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def statements(self) -> list[tuple[str, str, dict[str, Any]]]:
        """The empty lists the importer cannot write, to set on the imported store: ``(find,
        set, parameters)``, named queries: ``find`` returns the element ids, ``set`` (with
        ``$ids``, in batches) gives them ``[]``."""
        return [(f"build_empty_lists_{kind}_find", f"build_empty_lists_{kind}_set", params)
                for kind, params in self.empty_lists]  # fmt: skip

    def import_args(self) -> list[str]:
        """``neo4j-admin database import full`` arguments before the database name."""
        return [
            *(f"--nodes={n}" for n in self.nodes),
            *(f"--relationships={r}" for r in self.relationships),
            *self.options,
        ]


class BulkGraph:
    """The graph a build writes, held until :meth:`write` turns it into importer CSV files."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[Any, dict[str, Any]]] = defaultdict(dict)
        self.keys: dict[str, str] = {}
        self.relationships: dict[tuple[str, str, str], _RelationshipGroup] = defaultdict(
            _RelationshipGroup
        )
        self.current: dict[str, str] = {}  # set id -> current version (the pointers)
        # indexes beyond kg.schema's (an embedding kind's vector index): name -> (DDL, params)
        self.indexes: dict[str, tuple[str, dict[str, Any]]] = {}

    # ------------------------------------------------------------------ what the writer does

    def merge_node(self, label: str, key: str, row: Mapping[str, Any], extra: Mapping) -> bool:
        """``MERGE (n:label {key: row[key]}) SET n += row, n += extra``; True when new."""
        known = self.keys.setdefault(label, key)
        if known != key:
            raise BulkError(f"{label} nodes are keyed by {known!r}, not {key!r}")
        nodes = self.nodes[label]
        value = row[key]
        props = nodes.get(value)
        created = props is None
        if created:
            props = nodes[value] = {}
        props.update((k, v) for k, v in row.items() if v is not None)
        props.update((k, v) for k, v in extra.items() if v is not None)
        return created

    def delete_nodes(self, label: str, values: Iterable[Any]) -> int:
        """``DETACH DELETE`` the ``label`` nodes keyed ``values`` (their relationships too);
        returns the number of nodes deleted."""
        doomed = set(values) & self.nodes.get(label, {}).keys()
        for value in doomed:
            del self.nodes[label][value]
        if not doomed:
            return 0
        for (_, start, end), group in self.relationships.items():
            at_start, at_end = start == label, end == label
            if not (at_start or at_end):
                continue

            def kept(a: Any, b: Any, at_start: bool = at_start, at_end: bool = at_end) -> bool:
                return not ((at_start and a in doomed) or (at_end and b in doomed))

            group.merged = {k: p for k, p in group.merged.items() if kept(k[0], k[1])}
            group.sets = {set_id: (fixed, [r for r in rows if kept(r[0], r[1])])
                          for set_id, (fixed, rows) in group.sets.items()}  # fmt: skip
        return len(doomed)

    def has_node(self, label: str, key: str, value: Any) -> bool:
        return self.keys.get(label, key) == key and value in self.nodes.get(label, {})

    def group(self, rel_type: str, start: Endpoint, end: Endpoint) -> _RelationshipGroup:
        for label, key in (start, end):
            if self.keys.setdefault(label, key) != key:
                raise BulkError(f"{label} nodes are keyed by {self.keys[label]!r}, not {key!r}")
        return self.relationships[(ident(rel_type), start[0], end[0])]

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Nodes per label and relationships per type: what the built store must hold."""
        labels = {label: len(nodes) for label, nodes in self.nodes.items() if nodes}
        types: dict[str, int] = defaultdict(int)
        for (rel_type, _, _), group in self.relationships.items():
            types[rel_type] += len(group)
        return labels, {t: n for t, n in types.items() if n}

    # ------------------------------------------------------------------ files

    def write(self, directory: str | Path, *, progress: bool = False) -> BulkFiles:
        """Write one gzipped CSV per label and per (type, start label, end label) into
        ``directory`` (created; existing files of the same names are replaced)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        multiline = False
        node_args, rel_args = [], []
        empty_lists: list[tuple[str, dict[str, Any]]] = []
        labels, types = self.counts()
        with progress_bar(total=sum(labels.values()) + sum(types.values()), desc="CSV files",
                          enabled=progress, unit="row") as bar:  # fmt: skip
            for label, nodes in sorted(self.nodes.items()):
                if not nodes:
                    continue
                key = self.keys[label]
                path = directory / f"nodes_{label}.csv.gz"
                columns = _columns(props for props in nodes.values())
                columns.pop(key, None)
                header = [f"{key}:ID({label})", *(_header(c, t) for c, t in columns.items())]
                rows = ([value, *(props.get(c) for c in columns)] for value, props in nodes.items())
                lines, empty = _write_csv(path, header, rows, columns, bar)
                multiline |= lines
                node_args.append(f"{label}={path}")
                empty_lists += [("nodes", {"label": label, "property": p})
                                for p in empty]  # fmt: skip
            for (rel_type, start, end), group in sorted(self.relationships.items()):
                if not len(group):
                    continue
                path = directory / f"rels_{rel_type}_{start}_{end}.csv.gz"
                columns = _columns(
                    chain((props for _, _, props, _ in group.rows()),
                          (fixed for fixed, _ in group.sets.values()))
                )  # fmt: skip
                header = [
                    f":START_ID({start})", f":END_ID({end})",
                    *(_header(c, t) for c, t in columns.items()),
                ]  # fmt: skip
                rows = (
                    [a, b, *[fixed[c] if c in fixed else props.get(c) for c in columns]]
                    for a, b, props, fixed in group.rows()
                )
                lines, empty = _write_csv(path, header, rows, columns, bar)
                multiline |= lines
                rel_args.append(f"{rel_type}={path}")
                empty_lists += [("relationships",
                                 {"type": rel_type, "property": p}) for p in empty]  # fmt: skip
        options = [
            "--delimiter=,", "--quote=\"", f"--array-delimiter={ARRAY_DELIMITER}",
            f"--multiline-fields={'true' if multiline else 'false'}",
            "--id-type=string", "--skip-duplicate-nodes=false", "--bad-tolerance=0",
        ]  # fmt: skip
        empty_lists = [(kind, {**params, "marker": EMPTY_LIST}) for kind, params in empty_lists]
        return BulkFiles(directory, node_args, rel_args, options, labels, types, empty_lists,
                         dict(self.indexes))  # fmt: skip


Statement = Callable[[BulkGraph, Mapping[str, Any]], Any]


class BulkWriter:
    """:class:`~priorgraph.kg.writer.BatchWriter`'s API, writing into a :class:`BulkGraph`.

    ``statements``: bulk forms of an ingest job's own write statements (query text →
    ``function(graph, parameters)``), which :meth:`execute` runs in their place.
    """

    def __init__(
        self,
        graph: BulkGraph,
        provenance: Provenance,
        *,
        statements: Mapping[str, Statement] | None = None,
        **_options: Any,
    ):
        self.graph = graph
        self.provenance = provenance
        self.bulk_forms = dict(statements or {})
        self.written: list[versions.SetVersion] = []
        self._pending: list[versions.SetVersion] | None = None
        self._statements = {node_merge_query(label, key): (label, key)
                            for label, key in UNIQUE_KEYS.items()}  # fmt: skip

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Like the online writer's: sets replaced in the block switch when it ends."""
        self._pending = []
        try:
            yield
        finally:
            pending, self._pending = self._pending, None
        self.switch(pending)

    def merge_nodes(
        self,
        label: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        key: str = "id",
        total: int | None = None,
    ) -> WriteCounts:
        """As :meth:`BatchWriter.merge_nodes`."""
        counts = WriteCounts()
        extra = self.provenance.params()
        for row in rows:
            counts.rows += 1
            counts.nodes_created += self.graph.merge_node(label, key, row, extra)
        return counts

    def merge_relationships(
        self,
        rel_type: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        start: Endpoint,
        end: Endpoint,
        keys: Sequence[str] = (),
        total: int | None = None,
    ) -> WriteCounts:
        """As :meth:`BatchWriter.merge_relationships`: rows whose ends do not exist are
        ``unmatched`` and left out."""
        group = self.graph.group(rel_type, start, end)
        provenance = self.provenance.params()
        counts = WriteCounts()
        for row in rows:
            counts.rows += 1
            item = _relationship_row(row)
            missing = [k for k in keys if item["props"].get(k) is None]
            if missing:
                raise ValueError(f"{rel_type} row lacks merge key(s) {missing}: {dict(row)}")
            if not (self.graph.has_node(*start, item["start"])
                    and self.graph.has_node(*end, item["end"])):  # fmt: skip
                counts.unmatched += 1
                continue
            merge_key = (item["start"], item["end"], *(item["props"][k] for k in keys))
            props = group.merged.get(merge_key)
            if props is None:
                props = group.merged[merge_key] = {k: item["props"][k] for k in keys}
                counts.relationships_created += 1
            props.update((k, v) for k, v in item["props"].items() if v is not None)
            props.update(provenance)
        return counts

    def replace_relationships(
        self,
        rel_type: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        start: Endpoint,
        end: Endpoint,
        scope: Mapping[str, Any],
        keys: Sequence[str] = (),
        version: str | None = None,
        defer: bool = False,
    ) -> WriteCounts:
        """As :meth:`BatchWriter.replace_relationships`: the same version key, the same
        properties on each relationship; an earlier version of the set in this build is
        dropped (the online retire)."""
        pairs = [(row["start"], row["end"], *(row[k] for k in keys)) for row in rows]
        if len(set(pairs)) != len(pairs):
            raise ValueError(
                f"{rel_type} rows repeat a (start, end{''.join(', ' + k for k in keys)}) "
                f"within scope {dict(scope)}"
            )
        scope = dict(scope)
        provenance = self.provenance.params()
        set_id = versions.set_id(rel_type, scope)
        if version is None:
            content = versions.ContentKey(set_id, provenance, start, end)
            for i in range(0, len(rows), 10_000):  # the online writer's batches
                content.update([dict(row) for row in rows[i : i + 10_000]])
            version = content.hexdigest()
        if self.graph.current.get(set_id) == version:
            return WriteCounts(rows=len(pairs))
        group = self.graph.group(rel_type, start, end)
        fixed = {**scope, "version": version, **provenance}
        starts = self.graph.nodes.get(start[0], {}) if self.graph.keys[start[0]] == start[1] else {}
        ends = self.graph.nodes.get(end[0], {}) if self.graph.keys[end[0]] == end[1] else {}
        created = [
            (row["start"], row["end"],
             {k: v for k, v in row.items() if v is not None and k != "start" and k != "end"})
            for row in rows if row["start"] in starts and row["end"] in ends
        ]  # fmt: skip
        counts = WriteCounts(rows=len(pairs), relationships_created=len(created),
                             unmatched=len(pairs) - len(created))  # fmt: skip
        group.sets[set_id] = (fixed, created)
        new = versions.SetVersion(rel_type, scope, version, len(created), provenance)
        self.written.append(new)
        if defer:
            return counts
        if self._pending is not None:
            self._pending.append(new)
        else:
            self.switch([new])
        return counts

    def switch(
        self,
        new: Sequence[versions.SetVersion],
        *,
        also: Iterable[tuple[str, Mapping[str, Any]]] = (),
    ) -> int:
        """Publish ``new`` (their ``RelationshipSet`` pointers, as ``sets_publish`` sets
        them) and run the statements of ``also``; nothing is left to retire."""
        now = dt.datetime.now(dt.timezone.utc)
        for set_version in new:
            record = set_version.record()
            props = {"id": record["id"], **record["props"], "switched_at": now}
            self.graph.merge_node("RelationshipSet", "id", props, {})
            self.graph.current[record["id"]] = set_version.version
        for query, params in also:
            self.execute(query, params)
        return 0

    def execute(self, query: str, parameters: Mapping[str, Any] | None = None) -> None:
        """The writer's own statements (a ``(:Source)`` record, a node merge:
        :func:`~priorgraph.kg.writer.node_merge_query`) and those given as ``statements``;
        anything else has no bulk form."""
        params = dict(parameters or {})
        if query == SOURCE_RECORD:
            node = {"id": params["source"], "version": params["source_version"],
                    "loaded_at": params["loaded_at"], **params["details"]}  # fmt: skip
            self.graph.merge_node("Source", "id", node, {})
        elif query in self._statements:
            label, key = self._statements[query]
            provenance = {"source": params["source"], "source_version": params["source_version"]}
            for row in params["rows"]:
                self.graph.merge_node(label, key, row, provenance)
        elif query in self.bulk_forms:
            self.bulk_forms[query](self.graph, params)
        else:
            raise BulkError(f"no bulk form for the statement: {query.strip().splitlines()[0]}")

    # the online writer's own code: they only use ``provenance`` and :meth:`execute`
    record_source = BatchWriter.record_source
    source_params = BatchWriter.source_params


# ---------------------------------------------------------------------- CSV


def _kind(value: Any) -> str:
    """The importer type of one value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, numbers.Integral):
        return "long"
    if isinstance(value, numbers.Real):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "datetime"
    if str(getattr(value, "dtype", "")) == "float32" and getattr(value, "ndim", 0) == 1:
        return "float[]"  # a vector (``db.create.setNodeVectorProperty`` stores float32)
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        items = list(value.tolist() if hasattr(value, "tolist") else value)
        inner = {_kind(v) for v in items}
        if not inner:
            return "string[]"
        if inner == {"long", "double"}:
            inner = {"double"}
        if len(inner) != 1 or next(iter(inner)).endswith("[]"):
            raise BulkError(f"a list property must hold one kind of value: {items[:5]}")
        return next(iter(inner)) + "[]"
    raise BulkError(f"no importer type for {type(value).__name__} value {value!r}")


def _columns(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Every property of ``rows`` with its importer type (longs and doubles mixed: double)."""
    columns: dict[str, str] = {}
    seen: set[tuple[str, type]] = set()  # (property, plain type) already typed
    for props in rows:
        for name, value in props.items():
            plain = type(value)
            if value is None or (name, plain) in seen:
                continue
            kind = columns.get(name)
            if (
                kind is not None
                and kind.endswith("[]")
                and isinstance(value, (list, tuple))
                and not value
            ):
                continue  # an empty list fits any list type
            if kind is None or (kind == "string[]" and isinstance(value, (list, tuple))):
                columns[name] = _kind(value)
            elif kind in ("long", "double") and isinstance(value, numbers.Real):
                if kind == "long" and not isinstance(value, numbers.Integral):
                    columns[name] = "double"
            elif kind != _kind(value):
                raise BulkError(f"property {name!r} holds both {kind} and {_kind(value)} values")
            if plain in (str, int, float, bool):
                seen.add((name, plain))
    return columns


def _header(name: str, kind: str) -> str:
    return f"{ident(name)}:{kind}"


def _array(kind: str) -> Callable[[Any], str]:
    """The cell of a list property: its elements joined by :data:`ARRAY_DELIMITER`."""
    element = _CONVERTERS[kind[:-2]]

    def cell(value: Any) -> str:
        items = value.tolist() if hasattr(value, "tolist") else value
        if not len(items):
            if kind != "string[]":
                raise BulkError(f"an empty list in a {kind} property has no importer form")
            return EMPTY_LIST
        cells = [str(element(v)) for v in items]
        if any(ARRAY_DELIMITER in c or c == EMPTY_LIST for c in cells):
            raise BulkError(f"a list element contains the array delimiter: {items[:5]}")
        return ARRAY_DELIMITER.join(cells)

    return cell


# One converter per importer type: numbers stay numbers (written unquoted, floats by repr:
# exact), everything else becomes quoted text.
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": str,
    "long": int,
    "double": float,
    "float": float,  # a float32 as the double it is: the importer reads it back exactly
    "boolean": lambda v: "true" if v else "false",
    "datetime": lambda v: v.isoformat(),
}


def _converter(kind: str) -> Callable[[Any], Any]:
    return _array(kind) if kind.endswith("[]") else _CONVERTERS[kind]


def _write_csv(
    path: Path, header: list[str], rows: Iterable[list], columns: Mapping[str, str], bar
) -> tuple[bool, list[str]]:
    """Write rows (first cells: ids, then one cell per column). None is an unquoted empty
    cell (no property), text is quoted, so an empty string is ``""`` as online; an empty list
    is written as :data:`EMPTY_LIST`. Returns whether a text cell has a line break and the
    columns that hold an empty list."""
    kinds = list(columns.values())
    convert = [_converter(k) for k in kinds]
    n_ids = len(header) - len(kinds)
    texts = [n_ids + i for i, k in enumerate(kinds) if k == "string"]
    arrays = {n_ids + i: name for i, (name, k) in enumerate(columns.items()) if k.endswith("[]")}
    multiline = False
    empty: set[str] = set()
    with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=COMPRESS_LEVEL) as f:
        out = csv.writer(f, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        f.write(",".join(header) + "\n")
        for chunk in batched(rows, 10_000):
            cells = [
                [str(v) for v in row[:n_ids]]
                + [_NULL if v is None else c(v) for c, v in zip(convert, row[n_ids:], strict=True)]
                for row in chunk
            ]
            multiline = multiline or any(
                "\n" in r[i] or "\r" in r[i] for i in texts for r in cells if r[i] is not _NULL
            )
            empty.update(
                name for i, name in arrays.items() if any(r[i] is EMPTY_LIST for r in cells)
            )
            out.writerows(cells)
            bar.update(len(cells))
    return multiline, [name for name in columns if name in empty]


class _Null(float):
    """A cell the csv module writes unquoted and empty: the importer's "no property"."""

    def __repr__(self) -> str:
        return ""


_NULL = _Null()
_NO_PROPS: dict[str, Any] = {}
