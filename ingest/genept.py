"""GenePT gene embeddings → ``Gene.genept`` with a cosine vector index.

Reads the published formats — a pickle dict ``symbol → vector`` (GenePT's
``GenePT_gene_embedding_ada_text.pickle``, also inside the Zenodo zip), a CSV/TSV matrix (first
column the symbol, optional header) and an NPZ (``genes`` + ``embeddings`` [+ ``model``], what
``priorgraph embed`` writes) — and validates the whole file before the first write:

* one dimension for every vector, only finite values, no zero vector (cosine is undefined),
  no empty or duplicate symbol — each problem reported with its file and line (or entry);
* known genes: a symbol must name a Gene of the graph or of a reference gene table (Ensembl);
  unknown symbols (``ctrl``, retired names) fail the load, or are dropped and listed with
  ``skip_unknown``.

Vectors are written with ``db.create.setNodeVectorProperty`` (a float32 array, half the size of
a list of doubles), in batches; the model, source and version are stored beside each vector and
on the ``(:Source)`` node. A load never mixes models or dimensions: a different model or
dimension is refused unless ``replace=True``. Every load switches readers in one step: the
vectors go to the kind's slot that readers do not use (``Gene.genept`` or ``Gene.genept_b``,
each with its own vector index), and the ``(:EmbeddingSet {id: 'genept'})`` pointer moves to it
once it is complete and indexed (:func:`store`); readers resolve the pointer, so they see the
old vectors or the new ones, never a mix, and a crash leaves one of them complete.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from priorgraph.core import utils
from priorgraph.core.datafiles import load_npz, load_pickle
from priorgraph.core.errors import EmbeddingFileError, Problem, UsageError, location
from priorgraph.ingest.gene_resolution import GeneNames, GeneResolver
from priorgraph.kg import cypher, versions
from priorgraph.kg import ids as kg_ids
from priorgraph.kg.bulk import BulkWriter
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import EmbeddingKind, get_kind
from priorgraph.kg.writer import SOURCE_RECORD, BatchWriter, Provenance, batched

STORE_BATCH = 500
NOT_GENES = ("ctrl",)  # GEARS' control row: never a gene, listed as unknown
logger = logging.getLogger(__name__)


@dataclass
class RawEntry:
    """One entry of an embedding file: its symbol, its vector (None when the entry could not be
    parsed, ``error`` says why) and where it is (``path``, ``line``: a line, ``entry 3``, …)."""

    symbol: str
    vector: np.ndarray | None
    path: str
    line: int | str | None
    error: str | None = None

    @property
    def location(self) -> str:
        return location(self.path, self.line)

    def problem(self, message: str) -> Problem:
        return Problem(self.path, self.line, message, self.symbol or "no symbol")


@dataclass
class EmbeddingTable:
    """Validated embeddings: ``matrix[i]`` is the vector of ``symbols[i]`` (float32, n × dim)."""

    path: str
    symbols: list[str]
    matrix: np.ndarray
    model: str | None = None
    unknown: list[Problem] = field(default_factory=list)  # dropped with skip_unknown
    names: GeneNames | None = None  # how the symbols were resolved (load_file with genes)

    @property
    def dimension(self) -> int:
        return int(self.matrix.shape[1])


# --- reading -------------------------------------------------------------------------------


def _vector(values: Any) -> tuple[np.ndarray | None, str | None]:
    try:
        vector = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as err:
        return None, f"not a numeric vector ({err})"
    if vector.ndim != 1:
        return None, f"not a flat vector (shape {vector.shape})"
    return vector, None


def _read_pickle(handle: IO[bytes], where: str) -> Iterator[RawEntry]:
    data = load_pickle(handle, path=where, error=EmbeddingFileError)
    if not isinstance(data, Mapping):
        raise EmbeddingFileError(
            where, f"expected a pickled dict symbol → vector, got {type(data)}"
        )
    for i, (symbol, values) in enumerate(data.items(), start=1):
        vector, error = _vector(values)
        yield RawEntry(str(symbol).strip(), vector, where, f"entry {i}", error)


def _read_csv(path: Path) -> Iterator[RawEntry]:
    delimiter = "\t" if ".tsv" in path.suffixes else ","
    with utils.open_text(path, newline="") as handle:
        for line, cells in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
            if not cells:
                continue
            if line == 1 and _is_header(cells):
                continue
            vector, error = _vector(cells[1:])
            yield RawEntry(cells[0].strip(), vector, str(path), line, error)


def _is_header(cells: list[str]) -> bool:
    """A first row is a header when its first cell is empty or names the symbol column, or when
    its values are not numbers (pandas writes ``,0,1,2,…`` above a matrix)."""
    if cells[0].strip().lower() in ("", "gene", "symbol", "gene_name", "gene_symbol"):
        return True
    try:
        np.asarray(cells[1:], dtype=np.float32)
    except ValueError:
        return True
    return False


def _read_npz(path: Path) -> tuple[list[RawEntry], str | None]:
    data = load_npz(path, error=EmbeddingFileError)
    genes_key = next((k for k in ("genes", "symbols") if k in data), None)
    matrix_key = next((k for k in ("embeddings", "matrix") if k in data), None)
    if genes_key is None or matrix_key is None:
        raise EmbeddingFileError(
            path, f"an NPZ needs arrays 'genes' and 'embeddings', has {sorted(data)}"
        )
    genes, matrix = data[genes_key], data[matrix_key]
    model = str(data["model"]) if "model" in data else None
    if matrix.ndim != 2 or matrix.shape[0] != len(genes):
        raise EmbeddingFileError(path, f"{len(genes)} genes but embeddings of shape {matrix.shape}")
    entries = []
    for i, (symbol, values) in enumerate(zip(genes, matrix, strict=True)):
        vector, error = _vector(values)
        entries.append(RawEntry(str(symbol).strip(), vector, str(path), f"row {i}", error))
    return entries, model


def read_entries(path: str | Path, member: str | None = None) -> tuple[list[RawEntry], str | None]:
    """Parse an embedding file (format from its suffix) into entries, plus a model name if the
    file records one. ``member`` picks a pickle inside a zip (GenePT's Zenodo archive)."""
    path = Path(path)
    if not path.is_file():
        raise EmbeddingFileError(path, "no such embedding file")
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-1:] == [".zip"]:
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as err:
            raise EmbeddingFileError(path, f"not a readable zip archive ({err})") from err
        with archive:
            pickles = [n for n in archive.namelist() if n.endswith((".pickle", ".pkl"))]
            if member is None:
                raise EmbeddingFileError(path, f"choose a member (--member) among {pickles}")
            if member not in archive.namelist():
                raise EmbeddingFileError(path, f"no member {member!r}; pickles: {pickles}")
            with archive.open(member) as handle:
                return list(_read_pickle(handle, f"{path}!{member}")), None
    if suffixes[-1:] in ([".pickle"], [".pkl"]):
        with open(path, "rb") as handle:
            return list(_read_pickle(handle, str(path))), None
    if suffixes[-1:] == [".npz"]:
        return _read_npz(path)
    if {".csv", ".tsv"} & set(suffixes):
        return list(_read_csv(path)), None
    raise EmbeddingFileError(path, "unknown format (use .pickle/.pkl, .csv[.gz], .tsv[.gz], .npz)")


# --- validation ----------------------------------------------------------------------------


def validate(
    entries: list[RawEntry],
    path: str | Path,
    known: set[str] | None,
    *,
    skip_unknown: bool = False,
    model: str | None = None,
) -> EmbeddingTable:
    """Check every entry (see the module docstring); raise listing all problems, or return the
    table. The dimension is the most common vector length; other lengths are problems."""
    problems: list[tuple[int, Problem]] = []
    unknown: list[tuple[int, Problem]] = []
    lengths = [e.vector.shape[0] for e in entries if e.vector is not None]
    if not lengths:
        raise EmbeddingFileError(path, "no embedding vectors, nothing written")
    values, counts = np.unique(lengths, return_counts=True)
    dim = int(values[np.argmax(counts)])
    seen: dict[str, str] = {}
    keep: list[RawEntry] = []
    for i, entry in enumerate(entries):
        if known is not None and (entry.symbol not in known or entry.symbol in NOT_GENES):
            unknown.append((i, entry.problem("unknown gene symbol")))
            continue
        bad = _entry_problem(entry, dim, seen)
        if bad:
            problems.append((i, entry.problem(bad)))
            continue
        seen[entry.symbol] = entry.location
        keep.append(entry)
    if not skip_unknown:
        problems += unknown
    if problems:
        listed = [p for _, p in sorted(problems, key=lambda item: item[0])]
        raise EmbeddingFileError(
            path, f"{len(listed)} problem(s), nothing written:", problems=listed
        )
    if not keep:
        raise EmbeddingFileError(path, "no known gene left, nothing written")
    matrix = np.stack([e.vector for e in keep]).astype(np.float32, copy=False)
    return EmbeddingTable(str(path), [e.symbol for e in keep], matrix, model,
                          [p for _, p in unknown])  # fmt: skip


def _entry_problem(entry: RawEntry, dim: int, seen: dict[str, str]) -> str | None:
    if entry.error:
        return entry.error
    if not entry.symbol:
        return "empty gene symbol"
    if entry.symbol in seen:
        return f"duplicate symbol (first at {seen[entry.symbol]})"
    vector = entry.vector
    if vector.shape[0] != dim:
        return f"dimension {vector.shape[0]}, expected {dim}"
    bad = np.flatnonzero(~np.isfinite(vector))
    if bad.size:
        return f"{bad.size} non-finite value(s) (NaN/inf), first at column {int(bad[0]) + 1}"
    if not np.any(vector):
        return "zero vector (cosine similarity undefined)"
    return None


def load_file(
    path: str | Path,
    known: set[str] | None,
    *,
    skip_unknown: bool = False,
    model: str | None = None,
    member: str | None = None,
    genes: GeneResolver | None = None,
) -> EmbeddingTable:
    """Read and validate an embedding file; ``model`` overrides the one the file records.

    With ``genes``, symbols are first resolved to approved ones (previous symbols, aliases,
    Ensembl ids; ``names`` of the result lists what was renamed) and ``known`` defaults to the
    resolver's reference."""
    entries, recorded = read_entries(path, member)
    names = None
    if genes is not None:
        names = genes.names((e.symbol for e in entries), what=str(path))
        for entry in entries:
            entry.symbol = names.symbol(entry.symbol) or entry.symbol
        known = known if known is not None else genes.reference.symbols
    table = validate(entries, path, known, skip_unknown=skip_unknown, model=model or recorded)
    table.names = names
    return table


# --- storing -------------------------------------------------------------------------------


@dataclass
class StoreResult:
    stored: int
    genes_created: int
    dimension: int
    model: str
    index: str
    unknown_skipped: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def current_slot(graph: Graph, spec: EmbeddingKind) -> tuple[EmbeddingKind, dict[str, Any] | None]:
    """The slot readers use now (:attr:`EmbeddingKind.slots`) and its ``(:EmbeddingSet)``
    record; before a kind's first switch: its own property, and None."""
    rows = cypher.run(graph, "embeddings_current", property=spec.property)
    if not rows:
        return spec, None
    record = rows[0]
    return next(s for s in spec.slots if s.property == record["property"]), record


def index_info(graph: Graph, spec: EmbeddingKind) -> dict[str, Any] | None:
    """The vector index of the kind's current slot (None when there is none)."""
    slot, _ = current_slot(graph, spec)
    rows = cypher.run(graph, "genept_index_info", index=slot.index)
    return rows[0] if rows else None


def stored_models(graph: Graph, spec: EmbeddingKind) -> list[dict[str, Any]]:
    """``[{model, dimension, genes}]`` of the vectors readers see for this kind."""
    slot, record = current_slot(graph, spec)
    if record is not None:
        return [{k: record[k] for k in ("model", "dimension", "genes")}]
    return cypher.run(graph, "genept_state", property=slot.property,
                      model_property=slot.model_property)  # fmt: skip


def clear(graph: Graph, spec: EmbeddingKind, batch: int = 5_000) -> int:
    """Remove one slot's vectors and their metadata from every gene, and drop its index;
    returns how many genes had one."""
    cleared, total = {spec.property: None, **spec.meta(None, None, None)}, 0
    while n := cypher.run(graph, "genept_clear", property=spec.property, batch=batch,
                          cleared=cleared)[0]["cleared"]:  # fmt: skip
        total += n
    cypher.run(graph, "genept_drop_index", index=spec.index)
    return total


def remove(graph: Graph, spec: EmbeddingKind) -> int:
    """Remove every vector of a kind: the pointer first (readers stop seeing the kind at once),
    then, once readers that began before are done, both slots; returns how many were cleared."""
    cypher.run(graph, "embeddings_unpublish", property=spec.property)
    versions.wait_for_readers(graph, versions.server_time(graph))
    return sum(clear(graph, slot) for slot in spec.slots)


def ensure_index(graph: Graph, spec: EmbeddingKind, dimension: int) -> None:
    """Create the slot's cosine vector index if missing and wait until it is online.

    Called after the vectors are written: populating a new HNSW index in one pass is much
    cheaper than inserting every vector into it inside the write transactions.
    """
    cypher.run(graph, spec.index_query, dimension=dimension)
    cypher.run(graph, "genept_await_index", index=spec.index)


def store(
    graph: Graph,
    table: EmbeddingTable,
    provenance: Provenance,
    *,
    kind: str = "genept",
    species: str = kg_ids.DEFAULT_SPECIES,
    replace: bool = False,
    batch_size: int = STORE_BATCH,
    progress: bool = True,
) -> StoreResult:
    """Write a validated table as the kind's vectors, switching readers in one step.

    The vectors go to the slot readers do not use (its leftovers cleared first; the kind's
    own property on a first load), with the genes of the current vectors that the table does
    not name when it is the same model and ``replace`` is False; then the slot's index is
    built, the ``(:EmbeddingSet)`` pointer switched to it (with the ``(:Source)`` record),
    and, once readers that began before are done, the other slot cleared. The same table
    again finds its version current and writes nothing.
    """
    spec = get_kind(kind)
    if not table.model:
        raise UsageError("the embedding model is unknown: name it (--model)")
    current, record = current_slot(graph, spec)
    existing = stored_models(graph, spec)
    others = [m for m in existing
              if (m["model"], m["dimension"]) != (table.model, table.dimension)]  # fmt: skip
    if others and not replace:
        found = ", ".join(f"{m['model']} ({m['dimension']}-d, {m['genes']} genes)" for m in others)
        raise UsageError(
            f"genes already carry {spec.name} embeddings of another model: {found}; "
            "pass replace (--replace) to swap them"
        )
    version = _version(spec, table, provenance, species, replace)
    if record is not None and record["version"] == version:
        logger.info("%s: version %s is current, nothing to write", spec.name, version)
        return StoreResult(len(table.symbols), 0, table.dimension, table.model, current.index,
                           len(table.unknown))  # fmt: skip
    target = current if record is None and not existing else _other(spec, current)
    clear(graph, target)  # what an interrupted load left
    stored, created = _write_vectors(graph, table, provenance, target, species, batch_size,
                                     progress)  # fmt: skip
    if existing and not others and not replace and target != current:
        stored += _copy_vectors(graph, current, target)
    ensure_index(graph, target, table.dimension)
    writer = BatchWriter(graph, provenance, progress=False)
    details, pointer = _records(spec, target, table, provenance, stored, version)
    switch = versions.publish(graph, [], also=[
        (cypher.load("embeddings_publish"), {"property": spec.property, "record": pointer}),
        (SOURCE_RECORD, writer.source_params(**details)),
    ])  # fmt: skip
    if record is not None or existing:  # readers may be on the old slot
        versions.wait_for_readers(graph, switch.at)
    for slot in spec.slots:
        if slot != target:
            clear(graph, slot)
    skipped = len(table.unknown)
    logger.info("stored %d %s vectors (%s, %d-d) in %s, %d unknown symbols skipped", stored,
                spec.name, table.model, table.dimension, target.property, skipped)  # fmt: skip
    return StoreResult(stored, created, table.dimension, table.model, target.index, skipped)


def store_bulk(
    writer: BulkWriter,
    table: EmbeddingTable,
    provenance: Provenance,
    *,
    kind: str = "genept",
    species: str = kg_ids.DEFAULT_SPECIES,
) -> StoreResult:
    """:func:`store` into the graph of a build (``priorgraph build``): a new database, so the
    vectors go to the kind's own slot and nothing is kept, copied or switched from. The same
    Gene properties, ``(:EmbeddingSet)`` pointer and ``(:Source)`` record as a first online
    load; the vector index is created on the imported store (``BulkFiles.indexes``)."""
    spec = get_kind(kind)
    if not table.model:
        raise UsageError("the embedding model is unknown: name it (model)")
    bulk = writer.graph
    if spec.index in bulk.indexes:
        raise UsageError(f"the plan stores {spec.name} embeddings twice (one entry per kind)")
    meta = spec.meta(table.model, provenance.source, provenance.version)
    genes, created = bulk.nodes["Gene"], 0
    for symbol, vector in zip(table.symbols, table.matrix, strict=True):
        gene_id = kg_ids.gene_id(symbol, species)
        if gene_id not in genes:  # ``genept_store``: ON CREATE with this load's provenance
            row = {"id": gene_id, "symbol": symbol, "species": species}
            created += bulk.merge_node("Gene", "id", row, provenance.params())
        genes[gene_id].update(meta)
        genes[gene_id][spec.property] = np.asarray(vector, dtype=np.float32)
    bulk.indexes[spec.index] = (cypher.load(spec.index_query), {"dimension": table.dimension})
    version = _version(spec, table, provenance, species, replace=False)
    details, pointer = _records(spec, spec, table, provenance, len(table.symbols), version)
    switched = {"id": spec.property, **pointer, "switched_at": dt.datetime.now(dt.timezone.utc)}
    bulk.merge_node("EmbeddingSet", "id", switched, {})  # ``embeddings_publish``
    writer.provenance = provenance
    writer.record_source(**details)
    return StoreResult(len(table.symbols), created, table.dimension, table.model, spec.index,
                       len(table.unknown))  # fmt: skip


def _version(
    spec: EmbeddingKind, table: EmbeddingTable, provenance: Provenance, species: str, replace: bool
) -> str:
    """The content key of a load: the same table and options again are the same version."""
    return versions.ContentKey(
        spec.name, species, table.model, provenance.params(), replace, table.symbols,
        table.matrix.tobytes(),
    ).hexdigest()  # fmt: skip


def _records(
    spec: EmbeddingKind,
    slot: EmbeddingKind,
    table: EmbeddingTable,
    provenance: Provenance,
    stored: int,
    version: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``(:Source)`` details and the ``(:EmbeddingSet)`` pointer of a load into ``slot``."""
    details = {
        "kind": spec.name, "property": slot.property, "model": table.model,
        "dimension": table.dimension, "genes": stored, "unknown_skipped": len(table.unknown),
        "file": Path(table.path).name,
    }  # fmt: skip
    pointer = {"property": slot.property, "index": slot.index, "model": table.model,
               "dimension": table.dimension, "genes": stored, "version": version,
               **provenance.params()}  # fmt: skip
    return details, pointer


def _other(spec: EmbeddingKind, slot: EmbeddingKind) -> EmbeddingKind:
    return next(s for s in spec.slots if s.property != slot.property)


def _write_vectors(
    graph: Graph,
    table: EmbeddingTable,
    provenance: Provenance,
    slot: EmbeddingKind,
    species: str,
    batch_size: int,
    progress: bool,
) -> tuple[int, int]:
    """Write the table's vectors into ``slot`` (genes missing from the graph are created);
    returns ``(stored, genes created)``."""
    query = cypher.load("genept_store")
    meta = slot.meta(table.model, provenance.source, provenance.version)
    params = {**provenance.params(), "property": slot.property, "meta": meta}
    rows = [
        {"id": kg_ids.gene_id(s, species), "symbol": s, "species": species, "vector": v.tolist()}
        for s, v in zip(table.symbols, table.matrix, strict=True)
    ]
    stored = created = 0

    def write_batch(tx, batch: list[dict]) -> tuple[int, int]:
        result = tx.run(query, {**params, "rows": batch})
        n = result.single()["stored"]
        return n, result.consume().counters.nodes_created

    show = progress and len(rows) > batch_size
    with utils.progress(
        total=len(rows), desc=f"{slot.name} vectors", enabled=show, unit="gene"
    ) as bar:
        for batch in batched(rows, batch_size):
            n, c = graph.write_tx(lambda tx, b=batch: write_batch(tx, b))
            stored, created = stored + n, created + c
            bar.update(len(batch))
    return stored, created


def _copy_vectors(
    graph: Graph, source: EmbeddingKind, target: EmbeddingKind, batch: int = 1_000
) -> int:
    """Copy the vectors (and metadata) of ``source`` that ``target`` lacks; returns how many."""
    meta = [[new, old] for new, old in zip(target.meta(None, None, None),
                                           source.meta(None, None, None), strict=True)]  # fmt: skip
    total = 0
    while n := cypher.run(graph, "genept_copy", **{"from": source.property}, to=target.property,
                          meta=meta, batch=batch)[0]["copied"]:  # fmt: skip
        total += n
    return total
