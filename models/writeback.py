"""Model runs back into the graph: ``(:ModelRun)``, ``PREDICTED_EFFECT`` and ``LEARNED_EDGE``.

A run is identified by its id (by default a hash of model, config, data set, split, data hash
and code version, so the same run of the same code gets the same id, and a run of changed code
does not overwrite it). :func:`write_run` checks every perturbation and gene first (nothing is
written if one is missing), then:

1. writes the full prediction matrix (and the predictive sd when the model has one) next to the
   run, as a hashed zarr folder (:mod:`priorgraph.core.predictions`);
2. creates, as ``PREDICTED_EFFECT {run, delta, rank[, sd]}``, only the effects a graph query
   needs (:mod:`priorgraph.models.effect_selection`: the top 20 per perturbation and per gene,
   and every ``|delta| ≥ 1``), under a new version key of the run's set;
3. switches to them in one transaction, with the ``ModelRun`` node (metrics, the matrix's path
   and sha256) and, when given, the run's new ``LEARNED_EDGE`` set (:mod:`priorgraph.kg.versions`),
   then deletes the old versions and the old matrix folder.

Readers see the run's previous effects, edges and node until the switch and the new ones after
it; a crash at any point leaves one of the two complete, and writing the run again completes
it (the same predictions give the same version: nothing is rewritten). ``rank`` is the rank of
|delta| within the perturbation's predictions over all genes (1 = largest predicted change).
:func:`write_musegnn` stores MuSe-GNN's unified gene embeddings as ``Gene.musegnn``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from priorgraph.core.errors import UsageError
from priorgraph.core.predictions import PredictionMatrix, stale_folders
from priorgraph.core.utils import progress as progress_bar
from priorgraph.core.version import code_version
from priorgraph.ingest import genept
from priorgraph.kg import cypher, ids, versions
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts, node_merge_query
from priorgraph.models.effect_selection import EffectSelection, select_effects
from priorgraph.models.musegnn import MuSeResult
from priorgraph.queries.export import HOMOGENEOUS, Export

SOURCE = "priorgraph.models"
DEFAULT_BATCH = 50_000  # effects per transaction
HEADLINE = ("pearson_delta", "pearson_delta_top20_de", "mse_top20_de_non_dropout")
GENE = ("Gene", "id")
DEFAULT_SELECTION = EffectSelection()  # top 20 per perturbation and per gene, |delta| >= 1
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


def prediction_matrix(
    what: str, values: Mapping[str, np.ndarray], n_genes: int
) -> tuple[list[str], np.ndarray]:
    """``(conditions, matrix)`` of per-condition vectors over ``n_genes`` genes, checked: one
    value per gene, all finite (``what`` names them in errors: deltas, sds)."""
    conditions = list(values)
    matrix = np.empty((len(conditions), n_genes), dtype=np.float32)
    for i, condition in enumerate(conditions):
        row = np.asarray(values[condition], dtype=np.float64)
        if row.shape != (n_genes,):
            raise ValueError(f"{condition}: {row.shape[0]} {what} for {n_genes} genes")
        if not np.isfinite(row).all():
            raise ValueError(f"{condition}: predicted {what} contain NaN or infinity")
        matrix[i] = row
    return conditions, matrix


def effect_batches(
    conditions: Sequence[str],
    rows: np.ndarray,
    cols: np.ndarray,
    ranks: np.ndarray,
    delta: np.ndarray,
    sd: np.ndarray | None,
    *,
    size: int,
) -> Iterator[list[dict[str, Any]]]:
    """Batches of at most ``size`` kept effects as ``{c, g, d, r, s}`` per condition: gene
    indexes, deltas, ranks and sds (None without) — arrays, far fewer driver values than one
    map per effect. A condition's effects may be split over batches."""
    batch: list[dict[str, Any]] = []
    count = 0
    bounds = np.flatnonzero(np.diff(rows)) + 1
    for part in np.split(np.arange(len(rows)), bounds) if len(rows) else []:
        for start in range(0, len(part), size):
            take = part[start : start + size]
            if count + len(take) > size and batch:
                yield batch
                batch, count = [], 0
            i, j = int(rows[take[0]]), cols[take]
            batch.append({
                "c": conditions[i], "g": j.tolist(), "d": delta[i, j].tolist(),
                "r": ranks[take].tolist(), "s": sd[i, j].tolist() if sd is not None else None,
            })  # fmt: skip
            count += len(take)
    if batch:
        yield batch


def _missing(graph: Graph, query: str, wanted: Sequence[str]) -> list[str]:
    return [r["id"] for r in cypher.run(graph, query, ids=sorted(set(wanted)))]


def _check_in_graph(graph: Graph, run: ModelRun, perturbations: Sequence[str],
                    genes: Sequence[str]) -> None:  # fmt: skip
    missing_p = _missing(graph, "perturb_missing_perturbations", perturbations)
    if missing_p:
        raise UsageError(
            f"run {run.id}: {len(missing_p)} perturbations are not in the graph "
            f"(ingest the data set first): {', '.join(missing_p[:5])}"
        )
    missing_g = _missing(graph, "perturb_missing_genes", genes)
    if missing_g:
        raise UsageError(
            f"run {run.id}: {len(missing_g)} genes are not in the graph: {', '.join(missing_g[:5])}"
        )


def write_run(
    graph: Graph,
    run: ModelRun,
    deltas: Mapping[str, np.ndarray],
    genes: Sequence[str],
    *,
    directory: str | Path,
    sd: Mapping[str, np.ndarray] | None = None,
    learned_edges: Sequence[Mapping[str, Any]] | None = None,
    species: str = "human",
    selection: EffectSelection = DEFAULT_SELECTION,
    batch_size: int = DEFAULT_BATCH,
    progress: bool = True,
) -> int:
    """Validate and write a run: its matrix file in ``directory``, its strongest effects and
    (with ``learned_edges``) its learned edges, switched in one step with its node (module
    docstring). ``deltas``/``sd``: condition → one value per gene of ``genes`` (symbols).
    Returns the number of ``PREDICTED_EFFECT`` relationships the run has in the graph."""
    conditions, delta = prediction_matrix("deltas", deltas, len(genes))
    sd_matrix = None
    if sd is not None:
        sd_conditions, sd_matrix = prediction_matrix("sds", sd, len(genes))
        if sd_conditions != conditions:
            raise ValueError("sd must have the conditions of deltas, in the same order")
    gene_ids = [ids.gene_id(g, species) for g in genes]
    edge_rows = _learned_edge_rows(graph, run, learned_edges) if learned_edges is not None else None
    _check_in_graph(graph, run, [ids.perturbation_id(run.dataset, c) for c in conditions],
                    gene_ids)  # fmt: skip
    matrix = PredictionMatrix.write(
        directory, conditions=conditions, genes=gene_ids, delta=delta, sd=sd_matrix,
        attributes={"run": run.id, "dataset": run.dataset},
    )  # fmt: skip
    provenance = Provenance(SOURCE, run.code_version)
    writer = BatchWriter(graph, provenance, progress=False)
    effects = _write_effects(writer, run, matrix, delta, sd_matrix, selection, batch_size,
                             progress)  # fmt: skip
    if edge_rows is not None:
        _replace_learned_edges(writer, run, edge_rows)
    node = run.node(effects.count) | {
        "matrix_path": str(matrix.path.resolve()), "matrix_sha256": matrix.sha256,
        "n_conditions": len(conditions), "n_genes": len(gene_ids), "has_sd": sd is not None,
        "selection": json.dumps(selection.as_dict(), sort_keys=True),
    }  # fmt: skip
    writer.switch(writer.written, also=[
        (node_merge_query("ModelRun"), {"rows": [node], **provenance.params()}),
    ])  # fmt: skip
    for folder in stale_folders(directory, keep=matrix.path):
        shutil.rmtree(folder, ignore_errors=True)
    logger.info("run %s: %d of %d predicted effects in the graph, all in %s", run.id,
                effects.count, delta.size, matrix.path)  # fmt: skip
    return effects.count


def _write_effects(
    writer: BatchWriter,
    run: ModelRun,
    matrix: PredictionMatrix,
    delta: np.ndarray,
    sd: np.ndarray | None,
    selection: EffectSelection,
    batch_size: int,
    progress: bool,
) -> versions.SetVersion:
    """Create the kept effects under a new version of the run's set (registered with the
    writer for its switch); nothing is written when that version is already current."""
    scope = {"run": run.id}
    provenance = writer.provenance.params()
    version = versions.ContentKey(
        versions.set_id("PREDICTED_EFFECT", scope), provenance, matrix.content_hash,
        selection.as_dict(), run.dataset,
    ).hexdigest()  # fmt: skip
    new = versions.SetVersion("PREDICTED_EFFECT", scope, version, provenance=provenance)
    current, _ = versions.prepare(writer.graph, "PREDICTED_EFFECT", scope, version)
    rows, cols, ranks = select_effects(delta, selection)
    new.count = len(rows)
    if current == version:
        return new
    params = {"run": run.id, "version": version, "genes": matrix.genes, **provenance}
    perturbations = [ids.perturbation_id(run.dataset, c) for c in matrix.conditions]
    created = 0
    with progress_bar(total=len(rows), desc="PREDICTED_EFFECT", enabled=progress) as bar:
        for batch in effect_batches(perturbations, rows, cols, ranks, delta, sd, size=batch_size):
            result = cypher.run(writer.graph, "runs_write_effects", **params, rows=batch)
            n = result[0]["created"] if result else 0
            created += n
            bar.update(n)
    if created != len(rows):  # a perturbation or gene went away since the check
        raise UsageError(f"run {run.id}: {len(rows) - created} effects lost their endpoints")
    writer.written.append(new)
    return new


def _learned_edge_rows(
    graph: Graph, run: ModelRun, rows: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Learned-edge rows of ``run``, checked: every row names the run, every gene exists."""
    bad = [r for r in rows if r["run"] != run.id]
    if bad:
        raise ValueError(f"learned edge of run {bad[0]['run']!r} given for run {run.id!r}")
    genes = [g for r in rows for g in (r["start"], r["end"])]
    missing = _missing(graph, "perturb_missing_genes", genes)
    if missing:
        raise UsageError(
            f"run {run.id}: {len(missing)} learned edges name unknown genes: "
            f"{', '.join(missing[:5])}"
        )
    return [{k: v for k, v in r.items() if k != "run"} for r in rows]


def _replace_learned_edges(
    writer: BatchWriter, run: ModelRun, rows: Sequence[Mapping[str, Any]]
) -> WriteCounts:
    return writer.replace_relationships(
        "LEARNED_EDGE", rows, start=GENE, end=GENE, scope={"run": run.id},
        keys=("perturbation",), defer=True,
    )  # fmt: skip


def write_learned_edges(graph: Graph, run: ModelRun, rows: Sequence[Mapping[str, Any]]) -> int:
    """Replace a run's learned edges with ``rows`` ``{start, end, run, perturbation, weight,
    gate}`` (gene ids), in one step; returns the relationships the set has. (``write_run``
    takes them too, to switch them together with the run's effects.)"""
    checked = _learned_edge_rows(graph, run, rows)
    writer = BatchWriter(graph, Provenance(SOURCE, run.code_version), progress=False)
    counts = _replace_learned_edges(writer, run, checked)
    writer.switch(writer.written)
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
    """Delete a run: its effects and learned edges (unpublished at once, then deleted), its
    node and its prediction matrix folder; returns the number of effects deleted."""
    info = show_run(graph, run)
    n = versions.forget(graph, "PREDICTED_EFFECT", {"run": run})
    versions.forget(graph, "LEARNED_EDGE", {"run": run})
    cypher.run(graph, "runs_delete", run=run)
    if info.get("matrix_path"):
        shutil.rmtree(info["matrix_path"], ignore_errors=True)
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
