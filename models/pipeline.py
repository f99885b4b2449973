"""Graph → tensors → trained model → metrics → graph: one training run of any model.

:func:`build_inputs` turns the priorgraph exports of a data set and split into the model inputs
of ``docs/models.md``:

* the **perturbation-gene index** is the GO export's node order over the data set's measured
  genes (pseudobulk order) followed by the targets that are not measured (sorted), so GO edges
  between measured genes are candidates for AdaPert and unmeasured targets still have GO
  neighbours;
* the co-expression export of the split (training cells only) is re-indexed onto the
  expression genes (pseudobulk order);
* ``pert_to_gene`` matches the two id maps; GenePT vectors (``features="genept"``) are aligned to
  both, zeros where a gene has none (``gene_present`` says which rows are real, so AdaPert's
  k-NN candidate edges join only genes that have a vector);
* GEARS gets the co-expression weights as |r|, AdaPert as signed r (its gates see the sign).

:func:`train_run` trains GEARS / AdaPert (or fits the ``linear`` / ``additive`` baselines), predicts
the held-out conditions, evaluates with :func:`priorgraph.models.metrics.evaluate`, writes the
run back (``ModelRun`` + ``PREDICTED_EFFECT``) and saves a checkpoint with both exports under
``<dataset dir>/runs/<run id>/``. For AdaPert it also writes the learned subgraphs:
``(:Gene)-[:LEARNED_EDGE {run, perturbation, weight, gate}]->(:Gene)`` for every condition of the
data set: among the edges with deterministic gate ≥ ``edge_threshold``, the ``edge_top_k`` that
carry the largest message (``weight`` = the edge flow, the score the learned-edge AUPRC is
measured on; the gates of one perturbation tend to move together, so a gate threshold alone can
keep all or none of them, and the top-k cap keeps the written subgraph readable).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from priorgraph.core.errors import UsageError
from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.core.splits import Split
from priorgraph.ingest.perturbseq import dataset_dir, load_dataset
from priorgraph.ingest.splits import load_split
from priorgraph.kg import cypher, ids
from priorgraph.kg.connection import Graph
from priorgraph.models import baselines, writeback
from priorgraph.models.adapert import AdaPert, AdaPertConfig, knn_edges
from priorgraph.models.base import PerturbationModel
from priorgraph.models.effect_selection import EffectSelection
from priorgraph.models.gears import GEARS, GEARSConfig
from priorgraph.models.metrics import Evaluation, evaluate, evaluated_conditions
from priorgraph.models.runtime import seed_everything
from priorgraph.models.train import (
    FitSummary,
    PerturbationTensors,
    TrainConfig,
    encode_targets,
    fit,
    predict_deltas,
)
from priorgraph.models.train import save_checkpoint as save_model
from priorgraph.queries.export import HOMOGENEOUS, Export
from priorgraph.queries.export_coexpression import coexpression_export
from priorgraph.queries.export_go import go_graph_export
from priorgraph.queries.features import gene_features

NEURAL: dict[str, type[PerturbationModel]] = {"gears": GEARS, "adapert": AdaPert}
BASELINES = ("linear", "additive")
MODELS = (*NEURAL, *BASELINES)
TINY_HIDDEN = 16
TINY_EPOCHS = 8
KNN_K = 10  # GenePT nearest neighbours per gene in AdaPert's candidate pool


@dataclass
class ModelInputs:
    """Everything a model constructor needs, with the exports it came from."""

    genes: list[str]  # expression gene symbols (pseudobulk order)
    gene_ids: list[str]
    go: Export  # its node order is the perturbation-gene index
    coexp: Export
    coexp_edge_index: Tensor  # re-indexed onto ``genes``
    pert_to_gene: Tensor
    pert_features: Tensor | None = None
    gene_features: Tensor | None = None
    gene_present: Tensor | None = None  # (G,) bool: the gene has a feature vector (not filled)

    @property
    def pert_row(self) -> dict[str, int]:
        """Gene id → row of the perturbation-gene index."""
        return self.go.index()

    def data(self, pb: Pseudobulk, species: str) -> PerturbationTensors:
        """Every condition of ``pb`` as pseudobulk training targets."""
        targets = [[ids.gene_id(t, species) for t in ts] for ts in pb.targets]
        return PerturbationTensors.from_pseudobulk(pb, encode_targets(targets, self.pert_row))

    def model_kwargs(self, model: str, train: PerturbationTensors) -> dict[str, Any]:
        """Constructor arguments of ``GEARS`` or ``AdaPert`` (without ``config``)."""
        common = {
            "n_genes": len(self.genes),
            "n_perts": len(self.go.node_ids[HOMOGENEOUS]),
            "go_edge_index": self.go.data.edge_index,
            "go_edge_weight": self.go.data.edge_weight,
            "coexp_edge_index": self.coexp_edge_index,
            "pert_to_gene": self.pert_to_gene,
            "pert_features": self.pert_features,
        }
        if model == "gears":
            coexp = self.coexp.data.edge_weight  # |r|: SGConv needs non-negative weights
            return {**common, "coexp_edge_weight": coexp, "ctrl_mean": train.ctrl_mean}
        knn = None
        if self.gene_features is not None:
            knn = knn_edges(self.gene_features, KNN_K, present=self.gene_present)
        return {
            **common,
            "coexp_edge_weight": self.coexp.data.edge_attr,  # signed r
            "knn_edge_index": knn[0] if knn else None,
            "knn_edge_weight": knn[1] if knn else None,
            "gene_features": self.gene_features,
            "mean_delta": train.mean_delta(),
        }

    def describe(self) -> dict[str, Any]:
        """Export hashes and sizes, recorded in the run's config."""
        return {
            "go_export": self.go.content_hash[:16],
            "go_graph": self.go.meta.get("graph"),
            "go_edges": int(self.go.data.edge_index.shape[1]),
            "coexp_export": self.coexp.content_hash[:16],
            "coexp_edges": int(self.coexp_edge_index.shape[1]),
            "n_perturbable": len(self.go.node_ids[HOMOGENEOUS]),
        }


def build_inputs(
    graph: Graph,
    pb: Pseudobulk,
    split: Split,
    species: str = "human",
    *,
    go_graph: str | None = None,
    features: str | None = None,
) -> ModelInputs:
    """Model inputs from the GO export (``go_graph`` = a stored GO graph, or None to compute it
    from the annotations), the split's co-expression export and optional GenePT vectors."""
    gene_ids = [ids.gene_id(g, species) for g in pb.genes]
    measured = set(gene_ids)
    unmeasured = sorted({ids.gene_id(t, species) for ts in pb.targets for t in ts} - measured)
    go = go_graph_export(graph, gene_ids + unmeasured, graph_name=go_graph)
    coexp = coexpression_export(graph, pb.dataset, split.name)
    row = {g: i for i, g in enumerate(gene_ids)}
    foreign = [g for g in coexp.node_ids[HOMOGENEOUS] if g not in row]
    if foreign:
        raise UsageError(f"co-expression genes not in data set {pb.dataset}: {foreign[:5]}")
    remap = torch.tensor([row[g] for g in coexp.node_ids[HOMOGENEOUS]], dtype=torch.long)
    pert_to_gene = torch.tensor([row.get(g, -1) for g in go.node_ids[HOMOGENEOUS]])
    inputs = ModelInputs(
        list(pb.genes), gene_ids, go, coexp, remap[coexp.data.edge_index], pert_to_gene
    )
    if features is not None:
        perts = gene_features(graph, go.node_ids[HOMOGENEOUS], features, fill="zero")
        inputs.pert_features = torch.from_numpy(perts.matrix)
        inputs.gene_features = inputs.pert_features[: len(gene_ids)].clone()
        inputs.gene_present = torch.from_numpy(perts.present[: len(gene_ids)].copy())
    return inputs


@dataclass
class TrainResult:
    """One run: its record, evaluation, predictions and, for graph models, model and inputs."""

    run: writeback.ModelRun
    evaluation: Evaluation
    predictions: dict[str, np.ndarray]  # predicted mean expression per evaluated condition
    seconds: float
    model: PerturbationModel | None = None
    inputs: ModelInputs | None = None
    data: PerturbationTensors | None = None
    fit: FitSummary | None = None
    train_config: TrainConfig | None = None
    checkpoint: Path | None = None
    n_effects: int = 0
    n_learned_edges: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def model_config(
    model: str, *, tiny: bool = False, **overrides: Any
) -> GEARSConfig | AdaPertConfig:
    """The default (or ``tiny``) configuration of a graph model, with overrides."""
    base = {"hidden": TINY_HIDDEN} if tiny else {}
    return NEURAL[model].config_class(**{**base, **overrides})


def train_graph_model(
    graph: Graph,
    model_name: str,
    pb: Pseudobulk,
    split: Split,
    data_hash: str,
    *,
    species: str = "human",
    go_graph: str | None = None,
    features: str | None = None,
    config: GEARSConfig | AdaPertConfig | None = None,
    train_config: TrainConfig | None = None,
    on: tuple[str, ...] = ("test",),
    extra_config: dict[str, Any] | None = None,
) -> TrainResult:
    """Export, train (early stopping on the split's val conditions), predict, evaluate;
    ``extra_config`` is recorded in the run's config (and so in its id)."""
    inputs = build_inputs(graph, pb, split, species, go_graph=go_graph, features=features)
    data = inputs.data(pb, species)
    train = data.subset([c for c in pb.conditions if c in set(split.train)])
    val_conditions = [c for c in pb.conditions if c in set(split.val)]
    val = data.subset(val_conditions) if val_conditions else None
    cls = NEURAL[model_name]
    config = config or cls.config_class()
    train_config = train_config or TrainConfig(threads=1)
    seed_everything(train_config.seed)  # the initial weights are part of a reproducible run
    model = cls(**inputs.model_kwargs(model_name, train), config=config)
    result = fit(model, train, val=val, config=train_config)
    conditions = evaluated_conditions(pb, split, on)
    deltas = predict_deltas(model, data.subset(conditions).perts).numpy().astype(np.float64)
    predictions = {c: pb.control_mean + d for c, d in zip(conditions, deltas, strict=True)}
    evaluation = evaluate(predictions, pb, split, train.mean_delta().numpy())
    run_config = {
        "model_config": asdict(config),
        "train_config": {k: v for k, v in asdict(train_config).items()
                         if k not in ("progress", "threads")},
        "features": features,
        "on": list(on),
        **inputs.describe(),
        **(extra_config or {}),
    }  # fmt: skip
    run = writeback.ModelRun(
        model=model_name, config=run_config, dataset=pb.dataset, split=split.name,
        data_hash=data_hash, metrics=evaluation.per_subgroup,
    )  # fmt: skip
    return TrainResult(
        run, evaluation, predictions, result.seconds, model, inputs, data, result, train_config,
        extra={"best_epoch": result.best_epoch, "epochs_run": len(result.history)},
    )  # fmt: skip


def learned_edge_rows(
    result: TrainResult, species: str = "human", threshold: float = 0.5, top_k: int = 20
) -> list[dict[str, Any]]:
    """LEARNED_EDGE rows ``{start, end, run, perturbation, weight, gate}`` of an AdaPert run: for
    every condition, among its candidate edges with deterministic gate ≥ ``threshold``, the
    ``top_k`` that carry the largest message (``weight`` = :meth:`AdaPert.edge_flows`)."""
    if not isinstance(result.model, AdaPert) or result.data is None or result.inputs is None:
        return []
    data, gene_ids = result.data, result.inputs.gene_ids
    rows = []
    for condition, perts in zip(data.conditions, data.perts.tolist(), strict=True):
        targets = [p for p in perts if p >= 0]
        pid = ids.perturbation_id(result.run.dataset, condition)
        for src, dst, gate, flow in result.model.learned_edges(targets, threshold)[:top_k]:
            rows.append({"start": gene_ids[src], "end": gene_ids[dst], "run": result.run.id,
                         "perturbation": pid, "weight": round(float(flow), 6),
                         "gate": round(float(gate), 6)})  # fmt: skip
    return rows


def save_run_files(result: TrainResult, directory: Path) -> Path:
    """Checkpoint (graph models: weights, config, both exports) and metrics under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    if result.model is not None and result.inputs is not None:
        save_model(directory, result.model, train_config=result.train_config,
                   extra={"run": result.run.id})  # fmt: skip
        result.inputs.go.save(directory / "go_export.pt")
        result.inputs.coexp.save(directory / "coexp_export.pt")
    summary = {"id": result.run.id, "model": result.run.model, "config": result.run.config,
               "metrics": result.run.metrics, "seconds": result.seconds}  # fmt: skip
    (directory / "run.json").write_text(json.dumps(summary, indent=2, default=str))
    return directory


def train_run(
    graph: Graph,
    dataset: str,
    split_name: str,
    model: str,
    *,
    go_graph: str | None = None,
    features: str | None = None,
    config: GEARSConfig | AdaPertConfig | None = None,
    train_config: TrainConfig | None = None,
    store: str | Path | None = None,
    write: bool = True,
    edge_threshold: float = 0.5,
    edge_top_k: int = 20,
    selection: EffectSelection = writeback.DEFAULT_SELECTION,
    progress: bool = True,
) -> TrainResult:
    """Train ``model`` on a stored data set and split; write the run back unless ``write`` is
    False; checkpoint under ``<dataset dir>/runs/<run id>``."""
    if model not in MODELS:
        raise UsageError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    record = load_dataset(dataset, store)
    pb = record.pseudobulk()
    split = load_split(dataset, split_name, store)
    species = record.config.species
    if model in BASELINES:
        start = time.perf_counter()
        fitted = baselines.run_baseline(
            baselines.make_model(model), pb, split, record.pseudobulk_sha256
        )
        result = TrainResult(
            fitted.run, fitted.evaluation, fitted.predictions, time.perf_counter() - start
        )
    else:
        result = train_graph_model(
            graph, model, pb, split, record.pseudobulk_sha256, species=species,
            go_graph=go_graph, features=features, config=config, train_config=train_config,
            extra_config={"learned_edges": {"threshold": edge_threshold, "top_k": edge_top_k}}
            if model == "adapert" else None,
        )  # fmt: skip
    result.checkpoint = save_run_files(result, dataset_dir(dataset, store) / "runs" / result.run.id)
    if not write:
        return result
    deltas = {c: p - pb.control_mean for c, p in result.predictions.items()}
    rows = learned_edge_rows(result, species, edge_threshold, edge_top_k)
    edges = rows if rows or model == "adapert" else None
    result.n_effects = writeback.write_run(
        graph, result.run, deltas, pb.genes, directory=result.checkpoint, learned_edges=edges,
        species=species, selection=selection, progress=progress,
    )  # fmt: skip
    result.n_learned_edges = len(rows) if edges is not None else 0
    return result


def go_prior(
    graph: Graph, go_graph: str, n_genes: int | None = None, seed: int = 0
) -> tuple[list[str], list[tuple[str, str]]]:
    """Genes and prior edges (symbols) for the simulator from stored GO graph ``go_graph``.

    With ``n_genes``, a connected neighbourhood of that size: breadth-first over the undirected
    GO_SIMILAR edges from a seeded random start gene (restarting while genes remain), so the
    prior is as dense among the chosen genes as in the whole graph.
    """
    rows = cypher.run(graph, "simulate_prior_edges", go_graph=go_graph)
    if not rows:
        raise UsageError(f"GO graph {go_graph!r} has no edges between distinct genes")
    edges = [(r["source"], r["target"]) for r in rows]
    neighbours: dict[str, list[str]] = {}
    for a, b in edges:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    genes = sorted(neighbours)
    if n_genes is not None and n_genes < len(genes):
        rng = np.random.default_rng(seed)
        chosen: dict[str, None] = {}
        queue: list[str] = []
        while len(chosen) < n_genes:
            if not queue:
                queue = [str(rng.choice([g for g in genes if g not in chosen]))]
            gene = queue.pop(0)
            if gene not in chosen:
                chosen[gene] = None
                queue += [g for g in neighbours[gene] if g not in chosen]
        genes = sorted(chosen)
    keep = set(genes)
    return genes, [(a, b) for a, b in edges if a in keep and b in keep]
