"""Per-gene and per-perturbation effects and a predicted-vs-observed plot, for Python users and
the ``priorgraph effects`` command.

The graph holds each run's strongest predicted effects (named queries ``effects_*``: fast,
joined with observed effects); :func:`gene_effects_all` answers from the runs' prediction
matrix files instead, with every perturbation's predicted value for a gene
(:mod:`priorgraph.core.predictions`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from priorgraph.core.errors import UsageError
from priorgraph.core.predictions import PredictionMatrix
from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.kg import cypher, ids
from priorgraph.kg.connection import Graph


def gene_effects(
    graph: Graph,
    gene: str,
    *,
    run: str | None = None,
    top: int = 20,
    dataset: str | None = None,
    species: str = "human",
) -> list[dict[str, Any]]:
    """Perturbations predicted/observed to move ``gene`` (a symbol or a ``species:symbol`` id)."""
    gene_id = gene if ":" in gene else ids.gene_id(gene, species)
    return cypher.run(graph, "effects_gene", gene=gene_id, run=run, top=top, dataset=dataset)


def run_matrices(
    graph: Graph, *, run: str | None = None, dataset: str | None = None
) -> list[tuple[dict[str, Any], PredictionMatrix]]:
    """The prediction matrices of one run or of every run (of ``dataset``), opened and checked
    against the sha256 each run's node records (opened once per process: a matrix is named by
    its content, and every chunk read is checked again)."""
    found = cypher.run(graph, "runs_matrices", run=run, dataset=dataset)
    if run is not None and not found:
        raise UsageError(f"run {run!r} is not in the graph or has no prediction matrix")
    return [(r, _open_matrix(r["matrix_path"], r["matrix_sha256"])) for r in found]


@lru_cache(maxsize=16)
def _open_matrix(path: str, sha256: str) -> PredictionMatrix:
    return PredictionMatrix.open(path, sha256=sha256)


def gene_effects_all(
    graph: Graph,
    gene: str,
    *,
    run: str | None = None,
    dataset: str | None = None,
    species: str = "human",
    top: int | None = None,
) -> list[dict[str, Any]]:
    """Every predicted effect on ``gene`` in the runs' matrix files (not only those the graph
    keeps): rows ``{perturbation, dataset, run, predicted, sd}``, largest |predicted| first
    (ties in run and matrix order), at most ``top`` (None: all). A matrix is read one chunk
    per gene."""
    gene_id = gene if ":" in gene else ids.gene_id(gene, species)
    parts = []
    for record, matrix in run_matrices(graph, run=run, dataset=dataset):
        try:
            delta, sd = matrix.gene(gene_id)
        except KeyError:
            continue
        parts.append((record, matrix.conditions, delta, sd))
    if not parts:
        return []
    values = np.concatenate([delta for _, _, delta, _ in parts])
    order = np.argsort(-np.abs(values), kind="stable")[:top]
    rows = [
        {"perturbation": c, "dataset": record["dataset"], "run": record["run"], "predicted": d,
         "sd": s}
        for record, conditions, delta, sd in parts
        for c, d, s in zip(conditions, delta.tolist(),
                           sd.tolist() if sd is not None else [None] * len(delta), strict=True)
    ]  # fmt: skip
    return [rows[i] for i in order.tolist()]


def perturbation_effects(
    graph: Graph,
    perturbation: str,
    *,
    run: str | None = None,
    top: int = 20,
    dataset: str | None = None,
) -> list[dict[str, Any]]:
    """Genes predicted/observed to move under a perturbation given by its label (``A+B``)."""
    return cypher.run(
        graph, "effects_perturbation", condition=perturbation, run=run, top=top, dataset=dataset
    )


def plot_predicted_vs_observed(
    graph: Graph, dataset: str, perturbation: str, run: str, path: str | Path, *, n_top: int = 20
) -> Path:
    """PNG scatter of a run's predicted deltas against the observed ones (all genes, from the
    run's prediction matrix; the top DE genes highlighted and labelled), observed deltas from
    the data set's pseudobulk file."""
    record = cypher.run(graph, "effects_dataset", dataset=dataset)
    if not record:
        raise UsageError(f"no data set {dataset!r} in the graph")
    pb = Pseudobulk.load(record[0]["pseudobulk_path"], record[0]["pseudobulk_sha256"])
    i = pb.row(perturbation)
    (_, matrix), *_ = run_matrices(graph, run=run)
    try:
        values, _ = matrix.condition(perturbation)
    except KeyError:
        raise UsageError(f"run {run!r} has no predictions for {perturbation}") from None
    index = {g: j for j, g in enumerate(pb.genes)}
    symbols = [g.split(":", 1)[1] for g in matrix.genes]
    genes = np.array([index[s] for s in symbols])
    predicted = np.asarray(values, dtype=np.float64)
    observed = pb.deltas[i, genes]
    top = set(pb.top_de(perturbation, n_top).tolist())
    is_top = np.array([j in top for j in genes])

    fig = Figure(figsize=(5.5, 5.5))
    FigureCanvasAgg(fig)  # the Agg canvas: no display or pyplot state needed
    ax = fig.add_subplot()
    ax.scatter(observed[~is_top], predicted[~is_top], s=8, c="0.6", label="other genes")
    ax.scatter(observed[is_top], predicted[is_top], s=18, c="tab:red", label=f"top {n_top} DE")
    for j, x, y in zip(genes[is_top], observed[is_top], predicted[is_top], strict=True):
        ax.annotate(pb.genes[j], (x, y), fontsize=6, xytext=(2, 2), textcoords="offset points")
    low = float(min(observed.min(), predicted.min()))
    high = float(max(observed.max(), predicted.max()))
    ax.plot([low, high], [low, high], lw=0.8, c="k", ls="--")
    ax.axhline(0, lw=0.5, c="0.8")
    ax.axvline(0, lw=0.5, c="0.8")
    r = np.corrcoef(observed, predicted)[0, 1] if predicted.std() > 0 else float("nan")
    ax.set(xlabel="observed delta (log-normalised)", ylabel="predicted delta")
    ax.set_title(f"{perturbation} ({dataset}), r = {r:.2f}\nrun {run}", fontsize=8)
    ax.legend(loc="best", fontsize=7)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path
