"""Model runs back into the graph: ``(:ModelRun)``, ``PREDICTED_EFFECT`` and ``LEARNED_EDGE``.

A run is identified by its id (by default a hash of model, config, data set, split, data hash
and code version, so the same run of the same code gets the same id, and a run of changed code
does not overwrite it). Writing a run checks every perturbation and gene first
(nothing is written if one is missing), deletes whatever that run id wrote before, merges the
ModelRun node and creates one ``PREDICTED_EFFECT {run, delta, rank}`` per (perturbation, gene)
predicted, in batches — so writing the same run twice leaves the same graph. ``rank`` is the rank
of |delta| within the perturbation's predictions (1 = largest predicted change).
:func:`write_learned_edges` replaces a run's ``(:Gene)-[:LEARNED_EDGE {run, perturbation,
weight}]->(:Gene)`` subgraphs the same way; :func:`delete_run` removes both.
:func:`write_musegnn` stores MuSe-GNN's unified gene embeddings as ``Gene.musegnn``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from priorgraph.core.errors import UsageError
from priorgraph.core.utils import progress as progress_bar
from priorgraph.core.version import code_version
from priorgraph.ingest import genept
from priorgraph.kg import cypher, ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import BatchWriter, Provenance
from priorgraph.models.musegnn import MuSeResult
from priorgraph.queries.export import HOMOGENEOUS, Export

SOURCE = "priorgraph.models"
DEFAULT_BATCH = 50_000  # effects per transaction
HEADLINE = ("pearson_delta", "pearson_delta_top20_de", "mse_top20_de_non_dropout")
logger = logging.getLogger(__name__)


@dataclass
class ModelRun:
    """What a run was: model, configuration, data, split and its evaluation."""

    model: str
    config: dict[str, Any]
    dataset: str
    split: str
    data_hash: str
    metrics: dict[str, Any] = field(default_factory=dict)
    code_version: str = field(default_factory=code_version)
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            key = json.dumps(
                [self.model, self.config, self.dataset, self.split, self.data_hash,
                 self.code_version],
                sort_keys=True,
            )  # fmt: skip
            digest = hashlib.sha256(key.encode()).hexdigest()[:10]
            self.id = f"{self.model}-{self.dataset}-{self.split}-{digest}"

    def node(self, n_effects: int) -> dict[str, Any]:
        """Node properties (maps are JSON text; headline metrics also as numbers)."""
        overall = self.metrics.get("all", {})
        return {
            "id": self.id,
            "model": self.model,
            "config": json.dumps(self.config, sort_keys=True),
            "dataset": self.dataset,
            "split": self.split,
            "metrics": json.dumps(_clean(self.metrics), sort_keys=True),
            "data_hash": self.data_hash,
            "code_version": self.code_version,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "n_effects": n_effects,
            **{m: _jsonable(overall[m]) for m in HEADLINE if m in overall},
        }


def _clean(value: Any) -> Any:
    """Nested metrics with NaN → None, so the JSON is standard."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    """NaN → None (JSON and Neo4j have no NaN); numpy scalars → Python numbers."""
    value = float(value) if isinstance(value, (np.floating, np.integer)) else value
    return None if isinstance(value, float) and np.isnan(value) else value


def effect_rows(dataset: str, deltas: Mapping[str, np.ndarray], n_genes: int) -> list[dict]:
    """Rows ``{p, offset, d, r}`` per perturbation: deltas of every gene and ranks of |delta|."""
    rows = []
    for condition, delta in deltas.items():
        delta = np.asarray(delta, dtype=np.float64)
        if delta.shape != (n_genes,):
            raise ValueError(f"{condition}: {delta.shape[0]} deltas for {n_genes} genes")
        if not np.isfinite(delta).all():
            raise ValueError(f"{condition}: predicted deltas contain NaN or infinity")
        rank = np.empty(n_genes, dtype=np.int64)
        rank[np.argsort(-np.abs(delta), kind="stable")] = np.arange(1, n_genes + 1)
        rows.append(
            {"p": ids.perturbation_id(dataset, condition), "offset": 0,
             "d": delta.tolist(), "r": rank.tolist()}
        )  # fmt: skip
    return rows


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Batches of at most ``size`` effects (a perturbation's genes may be split, with offsets)."""
    batch: list[dict[str, Any]] = []
    count = 0
    for row in rows:
        for start in range(0, len(row["d"]), size):
            end = start + size
            part = {"p": row["p"], "offset": row["offset"] + start,
                    "d": row["d"][start:end], "r": row["r"][start:end]}  # fmt: skip
            if count + len(part["d"]) > size and batch:
                yield batch
                batch, count = [], 0
            batch.append(part)
            count += len(part["d"])
    if batch:
        yield batch


def _missing(graph: Graph, query: str, wanted: Sequence[str]) -> list[str]:
    return [r["id"] for r in cypher.run(graph, query, ids=sorted(set(wanted)))]


def delete_effects(
    graph: Graph, run: str, batch_size: int = DEFAULT_BATCH, query: str = "runs_delete_effects"
) -> int:
    """Delete a run's PREDICTED_EFFECT (or, with ``query``, other) relationships in batches;
    returns how many."""
    total = 0
    while True:
        deleted = cypher.run(graph, query, run=run, limit=batch_size)
        n = deleted[0]["deleted"] if deleted else 0
        total += n
        if n == 0:
            return total


def write_run(
    graph: Graph,
    run: ModelRun,
    deltas: Mapping[str, np.ndarray],
    genes: Sequence[str],
    *,
    species: str = "human",
    batch_size: int = DEFAULT_BATCH,
    progress: bool = True,
) -> int:
    """Validate, replace and write a run's predicted deltas; returns the effects written."""
    rows = effect_rows(run.dataset, deltas, len(genes))
    gene_ids = [ids.gene_id(g, species) for g in genes]
    missing_p = _missing(graph, "perturb_missing_perturbations", [r["p"] for r in rows])
    if missing_p:
        raise UsageError(
            f"run {run.id}: {len(missing_p)} perturbations are not in the graph "
            f"(ingest the data set first): {', '.join(missing_p[:5])}"
        )
    missing_g = _missing(graph, "perturb_missing_genes", gene_ids)
    if missing_g:
        raise UsageError(
            f"run {run.id}: {len(missing_g)} genes are not in the graph: {', '.join(missing_g[:5])}"
        )
    n_effects = sum(len(r["d"]) for r in rows)
    delete_effects(graph, run.id)
    provenance = Provenance(SOURCE, run.code_version)
    BatchWriter(graph, provenance, progress=False).merge_nodes("ModelRun", [run.node(n_effects)])
    params = {"run": run.id, "genes": gene_ids, **provenance.params()}
    written = 0
    with progress_bar(total=n_effects, desc="PREDICTED_EFFECT", enabled=progress) as bar:
        for batch in _chunks(rows, batch_size):
            created = cypher.run(graph, "runs_write_effects", **params, rows=batch)
            n = created[0]["created"] if created else 0
            written += n
            bar.update(n)
    logger.info("run %s: %d predicted effects written", run.id, written)
    return written


def delete_learned_edges(graph: Graph, run: str) -> int:
    """Delete a run's LEARNED_EDGE relationships; returns how many."""
    return delete_effects(graph, run, query="runs_delete_learned_edges")


def write_learned_edges(graph: Graph, run: ModelRun, rows: Sequence[Mapping[str, Any]]) -> int:
    """Replace a run's learned edges with ``rows`` ``{start, end, run, perturbation, weight, gate}``
    (gene ids; the run's ModelRun node must exist); returns the relationships written."""
    bad = [r for r in rows if r["run"] != run.id]
    if bad:
        raise ValueError(f"learned edge of run {bad[0]['run']!r} given for run {run.id!r}")
    delete_learned_edges(graph, run.id)
    writer = BatchWriter(graph, Provenance(SOURCE, run.code_version), progress=False)
    with writer.transaction():
        counts = writer.merge_relationships(
            "LEARNED_EDGE", rows, start=("Gene", "id"), end=("Gene", "id"),
            keys=("run", "perturbation"), total=len(rows),
        )  # fmt: skip
        if counts.unmatched:  # raised inside the transaction: nothing is kept
            raise UsageError(f"run {run.id}: {counts.unmatched} learned edges name unknown genes")
    return counts.rows


def learned_edges(
    graph: Graph, perturbation: str, run: str | None = None, top: int = 50
) -> list[dict[str, Any]]:
    """A perturbation's learned edges (id ``dataset/A+B``), strongest first."""
    return cypher.run(
        graph, "learned_edges_perturbation", perturbation=perturbation, run=run, top=top
    )


def list_runs(graph: Graph, dataset: str | None = None) -> list[dict[str, Any]]:
    return cypher.run(graph, "runs_list", dataset=dataset)


def show_run(graph: Graph, run: str) -> dict[str, Any]:
    """A run's properties with ``config`` and ``metrics`` parsed back from JSON."""
    rows = cypher.run(graph, "runs_show", run=run)
    if not rows:
        raise UsageError(f"no model run {run!r}")
    out = dict(rows[0]["run"])
    for key in ("config", "metrics"):
        out[key] = json.loads(out[key])
    return out


def delete_run(graph: Graph, run: str) -> int:
    """Delete a run's effects, learned edges and node; returns the number of effects deleted."""
    show_run(graph, run)
    n = delete_effects(graph, run)
    delete_learned_edges(graph, run)
    cypher.run(graph, "runs_delete", run=run)
    return n


def write_musegnn(
    graph: Graph,
    export: Export,
    result: MuSeResult,
    *,
    species: str = ids.DEFAULT_SPECIES,
    replace: bool = True,
) -> genept.StoreResult:
    """Store MuSe-GNN's unified embeddings as ``Gene.musegnn`` (+ its vector index), replacing
    the previous run's; the model name records the graphs' content hash and the seed."""
    node_ids = export.node_ids[HOMOGENEOUS]
    keep = np.flatnonzero(result.present)
    symbols = [node_ids[i].split(":", 1)[1] for i in keep]
    model = f"musegnn:{export.content_hash[:12]}:seed{result.config.seed}"
    table = genept.EmbeddingTable("musegnn", symbols, result.embeddings[keep], model)
    return genept.store(graph, table, Provenance("musegnn", model), kind="musegnn",
                        species=species, replace=replace, progress=False)  # fmt: skip
