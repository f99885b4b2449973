"""Graph → model inputs → fitted model → predictions → metrics → graph: one run of any model.

Every model, from ``no_change`` to AdaPert, is reached through one interface
(:class:`~priorgraph.models.predictor.Predictor`: fit on a split's training conditions, predict
the change of any target list), so ``train`` and ``benchmark`` treat them alike:

* baselines (``no_change``, ``train_mean``, ``additive``, ``go_neighbour``, ``linear``) and the
  graph GP (``graph_gp``) are fitted on pseudobulk; the graph gives them gene similarities over
  the whole annotated universe (:class:`Priors`);
* the neural models (``gears``, ``adapert``) train on the GO prior around the targets
  (:func:`~priorgraph.queries.perturbation_prior.perturbation_go_graph`: every annotated gene
  within ``hops`` GO steps of a target), the split's co-expression export and, optionally,
  GenePT vectors (:func:`build_inputs`), on cells by default (:mod:`priorgraph.models.train`),
  with early stopping on an inner validation set drawn from the training conditions.

**Combinations built on what is measured** (``compose``, on by default for the neural models).
For a combination ``S = {a, b, …}`` the prediction is::

    Δ̂(S) = Σ_{g∈S} Δ̃(g) + λ (f(S) − Σ_{g∈S} f(g))

where ``f`` is the network's own prediction, ``Δ̃(g)`` the measured single of ``g`` when it is
a training condition and ``f(g)`` otherwise. The network contributes the interaction only, with
a weight ``λ ∈ {0, ½, 1}`` chosen on the validation combinations, one per regime
(:class:`InteractionWeights`): combinations whose every single is measured, and the others
(whose base includes the network's own singles). A regime without validation combinations takes
λ = 0 where every single is measured (additive, where additive applies) and the other regime's
choice otherwise: where additivity is all the data support, the model is additive, and the
interaction is where the graph can win.

:func:`train_run` writes the run back (``ModelRun``, ``PREDICTED_EFFECT``; for AdaPert the
learned subgraph of every condition as ``LEARNED_EDGE``) and saves ``run.json``
(configuration, loss history, best round, metrics per subgroup and per perturbation) and, for
neural models, a checkpoint with the exports under ``<dataset dir>/runs/<run id>/``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from priorgraph.core.errors import UsageError
from priorgraph.core.names import check_name
from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.core.splits import Split
from priorgraph.ingest.perturbseq import DatasetRecord, dataset_dir, load_dataset
from priorgraph.ingest.splits import load_split
from priorgraph.kg import cypher, ids
from priorgraph.kg.connection import Graph
from priorgraph.models import baselines, writeback
from priorgraph.models.adapert import ENTRY, POOL, AdaPert, knn_edges
from priorgraph.models.base import PerturbationModel
from priorgraph.models.effect_selection import EffectSelection
from priorgraph.models.gears import GEARS
from priorgraph.models.graph_gp import GraphGP, GraphGPConfig
from priorgraph.models.metrics import Evaluation, evaluate, evaluated_conditions
from priorgraph.models.predictor import Predictor, Targets, TrainingSet
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
from priorgraph.queries.features import gene_features
from priorgraph.queries.gene_similarity import (
    GeneKernel,
    combine,
    genept_kernel,
    go_kernel,
    kernel_embedding,
)
from priorgraph.queries.perturbation_prior import PerturbationGraph, perturbation_go_graph

log = logging.getLogger(__name__)
NEURAL: dict[str, type[PerturbationModel]] = {"gears": GEARS, "adapert": AdaPert}
FITTED = ("no_change", "train_mean", "additive", "go_neighbour", "linear", "graph_gp")
MODELS = (*FITTED, *NEURAL)
KERNELS = ("go", "go+genept")
TINY_HIDDEN = 16
TINY_STEPS = 100
KNN_K = 10  # GenePT nearest neighbours per gene in AdaPert's candidate pool
LINEAR_DIM = 16  # graph-embedding width of the linear baseline
INTERACTION_WEIGHTS = (0.0, 0.5, 1.0)  # λ candidates of the composition


@dataclass
class RunOptions:
    """How a run gets its graph inputs and trains (the ``train``/``benchmark`` options)."""

    go_graph: str | None = None  # a stored GO graph; None: computed over every annotated gene
    hops: int = 1  # GO neighbourhood of the targets in the neural models' prior
    kernel: str = "go"  # gene similarity of graph_gp and of linear's embedding
    features: str | None = None  # "genept": GenePT vectors as neural-model features
    compose: bool = True  # neural models: combinations built on measured singles
    model_configs: dict[str, Any] = field(default_factory=dict)  # model name → its config
    train_config: TrainConfig | None = None
    val_fraction: float = 0.2  # inner validation share of the training conditions

    def __post_init__(self) -> None:
        if self.kernel not in KERNELS:
            raise UsageError(f"unknown kernel {self.kernel!r}; choose one of {', '.join(KERNELS)}")


class Priors:
    """The graph-derived inputs of one data set's models, computed once and shared by every
    split and model: gene kernels over all targets, the neural models' GO prior."""

    def __init__(self, graph: Graph, pb: Pseudobulk, *, species: str, options: RunOptions):
        self.graph, self.pb, self.species, self.options = graph, pb, species, options
        self.targets = sorted({t for ts in pb.targets for t in ts})

    @cached_property
    def go_idf(self) -> GeneKernel:
        return go_kernel(self.graph, self.targets, species=self.species,
                         warn=not self._go_warned)  # fmt: skip

    @cached_property
    def go_jaccard(self) -> GeneKernel:
        return go_kernel(self.graph, self.targets, species=self.species, measure="jaccard",
                         warn=not self._go_warned)  # fmt: skip

    @property
    def _go_warned(self) -> bool:
        """Whether a GO kernel of these targets was built (and warned of unannotated ones):
        the second kernel does not repeat the warning."""
        return "go_idf" in self.__dict__ or "go_jaccard" in self.__dict__

    @cached_property
    def kernel(self) -> GeneKernel:
        """The similarity ``options.kernel`` names."""
        if self.options.kernel == "go":
            return self.go_idf
        genept = genept_kernel(self.graph, self.targets, species=self.species)
        return combine([self.go_idf, genept])

    @cached_property
    def go_graph(self) -> PerturbationGraph:
        """GO prior of the neural models: measured genes + targets + GO neighbourhood."""
        prior = perturbation_go_graph(
            self.graph,
            measured=[ids.gene_id(g, self.species) for g in self.pb.genes],
            targets=[ids.gene_id(t, self.species) for t in self.targets],
            go_graph=self.options.go_graph, hops=self.options.hops,
        )  # fmt: skip
        log.info(prior.summary())
        return prior

    def isolated_targets(self) -> list[str]:
        """Targets that the gene kernel links to no other target (symbols)."""
        return self.kernel.isolated(self.targets, self.targets)


# --- neural models ------------------------------------------------------------------------


@dataclass
class ModelInputs:
    """Everything a neural model constructor needs, with the exports it came from."""

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

    def encode(self, targets: Sequence[Targets], species: str) -> Tensor:
        """Target lists (symbols) → rows of the perturbation-gene index, -1 padded."""
        return encode_targets([[ids.gene_id(t, species) for t in ts] for ts in targets],
                              self.pert_row)  # fmt: skip

    def data(self, pb: Pseudobulk, species: str) -> PerturbationTensors:
        """Every condition of ``pb`` as pseudobulk training targets."""
        return PerturbationTensors.from_pseudobulk(pb, self.encode(pb.targets, species))

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

    @classmethod
    def from_exports(
        cls, pb: Pseudobulk, *, go: Export, coexp: Export, species: str = "human"
    ) -> ModelInputs:
        """Align a GO prior export and a co-expression export with the data set's genes: the
        co-expression edges re-indexed onto the pseudobulk gene order, and the expression row of
        every GO node (-1 where the gene is not measured). A UsageError when the co-expression
        export names a gene the data set does not measure."""
        gene_ids = [ids.gene_id(g, species) for g in pb.genes]
        row = {g: i for i, g in enumerate(gene_ids)}
        foreign = [g for g in coexp.node_ids[HOMOGENEOUS] if g not in row]
        if foreign:
            raise UsageError(f"co-expression genes not in data set {pb.dataset}: {foreign[:5]}")
        remap = torch.tensor([row[g] for g in coexp.node_ids[HOMOGENEOUS]], dtype=torch.long)
        pert_to_gene = torch.tensor([row.get(g, -1) for g in go.node_ids[HOMOGENEOUS]])
        edges = remap[coexp.data.edge_index].reshape(2, -1)
        return cls(list(pb.genes), gene_ids, go, coexp, edges, pert_to_gene)

    def describe(self) -> dict[str, Any]:
        """Export hashes and sizes, recorded in the run's config."""
        return {
            "go_export": self.go.content_hash[:16],
            "go_graph": self.go.meta.get("graph"),
            "go_hops": self.go.meta.get("hops"),
            "go_edges": int(self.go.data.edge_index.shape[1]),
            "coexp_export": self.coexp.content_hash[:16],
            "coexp_edges": int(self.coexp_edge_index.shape[1]),
            "n_perturbable": len(self.go.node_ids[HOMOGENEOUS]),
        }


def build_inputs(
    graph: Graph,
    pb: Pseudobulk,
    split: Split,
    *,
    prior: PerturbationGraph,
    species: str = "human",
    features: str | None = None,
) -> ModelInputs:
    """Neural-model inputs: the GO prior export, the split's co-expression export (training
    cells only) and optional GenePT vectors, aligned by :meth:`ModelInputs.from_exports`."""
    coexp = coexpression_export(graph, pb.dataset, split.name)
    inputs = ModelInputs.from_exports(pb, go=prior.export, coexp=coexp, species=species)
    if features is not None:
        nodes = inputs.go.node_ids[HOMOGENEOUS]
        perts = gene_features(graph, nodes, features, fill="zero")
        inputs.pert_features = torch.from_numpy(perts.matrix)
        order = torch.tensor([inputs.pert_row[g] for g in inputs.gene_ids], dtype=torch.long)
        inputs.gene_features = inputs.pert_features[order].clone()
        inputs.gene_present = torch.from_numpy(perts.present[order.numpy()].copy())
    return inputs


def inner_validation(
    conditions: Sequence[str], targets: Sequence[Targets], *, like: int, fraction: float, seed: int
) -> list[str]:
    """Validation conditions drawn from the training ``conditions``: a ``fraction`` (≥ 1) of
    those with ``like`` targets (the kind the split tests), always leaving one such condition to
    train on; from all conditions when fewer than two are of that kind."""
    size = {c: len(t) for c, t in zip(conditions, targets, strict=True)}
    pool = [c for c in conditions if size[c] == like]
    if len(pool) < 2:
        pool = list(conditions)
    if len(pool) < 2:
        return []
    n = min(len(pool) - 1, max(1, round(fraction * len(pool))))
    order = np.random.RandomState(seed).permutation(len(pool))
    return sorted(pool[i] for i in order[:n])


def validation_conditions(pb: Pseudobulk, split: Split, *, fraction: float, seed: int) -> list[str]:
    """The conditions a neural model early-stops on: the split's val conditions, or, when it has
    none, :func:`inner_validation` over its training conditions, of the size (single, double)
    that most of its test conditions have. GEARS 0.1.2 is given the same ones by the peer bench
    (``bench/gears_peer.py``)."""
    known = set(pb.conditions)
    if any(c in known for c in split.val):
        return [c for c in split.val if c in known]
    sizes = [len(pb.targets[pb.row(c)]) for c in split.test if c in known]
    like = max(set(sizes), key=sizes.count) if sizes else 1
    train = [c for c in pb.conditions if c in set(split.train)]
    return inner_validation(train, [pb.targets[pb.row(c)] for c in train], like=like,
                            fraction=fraction, seed=seed)  # fmt: skip


@dataclass(frozen=True)
class InteractionWeights:
    """λ of the composition per regime: combinations whose every single is measured
    (``measured``) and combinations with at least one unmeasured single (``partial``)."""

    measured: float = 0.0
    partial: float = 0.0

    def of(self, targets: Targets, measured: dict[str, np.ndarray]) -> float:
        return self.measured if all(g in measured for g in targets) else self.partial


def compose(
    targets: Sequence[Targets],
    network: np.ndarray,
    singles: dict[Targets, np.ndarray],
    measured: dict[str, np.ndarray],
    weight: float | InteractionWeights,
) -> np.ndarray:
    """The module doc's combination rule: ``Σ Δ̃(g) + λ (f(S) − Σ f(g))`` for combinations; a
    single's own prediction is ``f`` (or its measurement, when it is a training condition).
    ``network[i]`` is ``f`` of ``targets[i]``; ``singles[(g,)]`` is ``f`` of each target alone;
    ``weight``: λ, one number for both regimes or :class:`InteractionWeights`."""
    weights = (
        weight if isinstance(weight, InteractionWeights) else InteractionWeights(weight, weight)
    )
    out = np.array(network, dtype=np.float64, copy=True)
    for i, t in enumerate(targets):
        if len(t) == 1:
            out[i] = measured.get(t[0], network[i])
            continue
        alone = [singles[(g,)] for g in t]
        base = sum(measured.get(g, f) for g, f in zip(t, alone, strict=True))
        out[i] = base + weights.of(t, measured) * (network[i] - sum(alone))
    return out


class NeuralPredictor(Predictor):
    """A GEARS-/AdaPert-style network behind the :class:`Predictor` interface (module doc)."""

    def __init__(
        self,
        *,
        name: str,
        inputs: ModelInputs,
        data: PerturbationTensors,
        targets: Sequence[Targets],
        species: str,
        options: RunOptions,
        val: Sequence[str] = (),
    ):
        self.name = name  # type: ignore[misc]
        self.inputs, self.data, self.species, self.options = inputs, data, species, options
        self.targets = dict(zip(data.conditions, targets, strict=True))
        self.val = list(val)  # early stopping and λ (:func:`validation_conditions`)
        self.model_config = options.model_configs.get(name) or NEURAL[name].config_class()
        self.train_config = options.train_config or TrainConfig(threads=1, progress=False)
        self.weight = InteractionWeights()
        self.summary: FitSummary | None = None

    def config(self) -> dict[str, Any]:
        skip = ("progress", "threads")
        return {
            "model": self.name,
            "model_config": asdict(self.model_config),
            "train_config": {k: v for k, v in asdict(self.train_config).items() if k not in skip},
            "compose": self.options.compose,
            "features": self.options.features,
            **self.inputs.describe(),
        }

    def fit(self, train: TrainingSet) -> NeuralPredictor:
        super().fit(train)
        val = self.val
        fit_on = [c for c in train.conditions if c not in set(val)]
        tensors = self.data.subset(fit_on)
        seed_everything(self.train_config.seed)  # the initial weights are part of the run
        cls = NEURAL[self.name]
        self.model = cls(**self.inputs.model_kwargs(self.name, tensors), config=self.model_config)
        val_tensors = self.data.subset(val) if val else None
        self.summary = fit(self.model, tensors, val=val_tensors, config=self.train_config)
        held_out = set(val)
        # λ is chosen as if the validation conditions were new: their singles are not measured
        self.measured = {t[0]: d for c, t, d in zip(train.conditions, train.targets, train.deltas,
                                                    strict=True)
                         if len(t) == 1 and c not in held_out}  # fmt: skip
        self.weight = self._interaction_weight()
        self.measured = train.single_deltas  # predictions use every measured single
        return self

    def network_deltas(self, targets: Sequence[Targets]) -> np.ndarray:
        """The network alone, ``f`` (what ``--no-compose`` predicts)."""
        perts = self.inputs.encode(targets, self.species)
        return predict_deltas(self.model, perts).numpy().astype(np.float64)

    def _network_singles(self, targets: Sequence[Targets]) -> dict[Targets, np.ndarray]:
        """``f`` of every target of the combinations among ``targets``, alone."""
        genes = sorted({g for t in targets if len(t) > 1 for g in t})
        if not genes:
            return {}
        singles = [(g,) for g in genes]
        return dict(zip(singles, self.network_deltas(singles), strict=True))

    def _interaction_weight(self) -> InteractionWeights:
        """λ of the composition per regime, chosen on the validation combinations of that
        regime as if they were new (ties: the smaller λ); a regime without any takes 0 where
        every single is measured and the other regime's λ otherwise (module doc); 1 without
        composition."""
        if not self.options.compose:
            return InteractionWeights(1.0, 1.0)
        combos = [c for c in self.val if len(self.targets[c]) > 1]
        regimes = {True: [], False: []}
        for c in combos:
            regimes[all(g in self.measured for g in self.targets[c])].append(c)
        chosen = {full: self._best_weight(conditions) for full, conditions in regimes.items()
                  if conditions}  # fmt: skip
        measured = chosen.get(True, 0.0)
        return InteractionWeights(measured, chosen.get(False, chosen.get(True, 0.0)))

    def _best_weight(self, conditions: Sequence[str]) -> float:
        """The λ of :data:`INTERACTION_WEIGHTS` with the smallest squared error on
        ``conditions`` (combinations)."""
        combos = [self.targets[c] for c in conditions]
        observed = self.data.subset(list(conditions)).delta.numpy()
        network, singles = self.network_deltas(combos), self._network_singles(combos)
        errors = [float(((compose(combos, network, singles, self.measured, w) - observed) ** 2)
                        .mean()) for w in INTERACTION_WEIGHTS]  # fmt: skip
        return INTERACTION_WEIGHTS[int(np.argmin(errors))]

    def predict_deltas(self, targets: Sequence[Targets]) -> np.ndarray:
        network = self.network_deltas(targets)
        if not self.options.compose:
            return network
        return compose(targets, network, self._network_singles(targets), self.measured,
                       self.weight)  # fmt: skip

    def learned_edge_rows(
        self, run: writeback.ModelRun, *, threshold: float = 0.5, top_k: int = 20
    ) -> list[dict[str, Any]]:
        """LEARNED_EDGE rows ``{start, end, run, perturbation, weight, gate}`` of an AdaPert run,
        for every condition of the data set: the ``top_k`` edges of its subgraph that carry the
        largest message (``weight``: the flow of :meth:`AdaPert.learned_edges`) among those
        whose deterministic gate is ≥ ``threshold`` and that carry one. A condition whose gates
        are all shut (a perturbation the model found nothing to route for) still gets its one
        strongest candidate edge, with its low gate, so that every condition has a learned
        subgraph to query and the gate says how weak it is. An entry edge starts at its target
        gene (measured or not: ``KLF1 → HBG1``); an entry at the target itself says nothing and
        is left out."""
        if not isinstance(self.model, AdaPert):
            return []
        start_ids = {ENTRY: self.inputs.go.node_ids[HOMOGENEOUS], POOL: self.inputs.gene_ids}
        rows = []
        for condition, perts in zip(self.data.conditions, self.data.perts.tolist(), strict=True):
            pid = ids.perturbation_id(run.dataset, condition)
            edges = [(start_ids[e.kind][e.source], self.inputs.gene_ids[e.target], e)
                     for e in self.model.subgraph([p for p in perts if p >= 0])]  # fmt: skip
            edges = [k for k in edges if k[0] != k[1]]
            kept = sorted((k for k in edges if k[2].gate >= threshold and k[2].flow > 0),
                          key=lambda k: (-k[2].flow, -k[2].gate, k[0], k[1]))[:top_k]  # fmt: skip
            if not kept and edges:
                kept = [max(edges, key=lambda k: (k[2].flow, k[2].gate))]
            rows += [{"start": start, "end": end, "run": run.id, "perturbation": pid,
                      "weight": round(e.flow, 6), "gate": round(e.gate, 6)}
                     for start, end, e in kept]  # fmt: skip
        return rows


# --- any model ----------------------------------------------------------------------------


def model_config(model: str, *, tiny: bool = False, **overrides: Any) -> Any:
    """The default (or ``tiny``) configuration of a neural model or of the graph GP."""
    if model == "graph_gp":
        return GraphGPConfig(**overrides)
    base = {"hidden": TINY_HIDDEN} if tiny else {}
    return NEURAL[model].config_class(**{**base, **overrides})


def make_predictor(
    name: str,
    *,
    graph: Graph,
    record: DatasetRecord,
    split: Split,
    priors: Priors,
    options: RunOptions,
) -> Predictor:
    """The model ``name``, with the graph inputs it needs for ``split`` of ``record``."""
    if name not in MODELS:
        raise UsageError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    if name == "go_neighbour":
        return baselines.GONeighbour(similarity=priors.go_jaccard)
    if name == "linear":
        embedding = kernel_embedding(priors.kernel, dim=LINEAR_DIM)
        return baselines.LinearModel(features=embedding, embedding=priors.kernel.name)
    if name in ("no_change", "train_mean", "additive"):
        return baselines.make_model(name)
    if name == "graph_gp":
        return GraphGP(kernel=priors.kernel, config=options.model_configs.get(name))
    pb, species = priors.pb, record.config.species
    inputs = build_inputs(graph, pb, split, prior=priors.go_graph, species=species,
                          features=options.features)  # fmt: skip
    data = inputs.data(pb, species)
    train_config = options.train_config or TrainConfig(threads=1, progress=False)
    if train_config.mode == "cells":
        cells = record.cells().adata
        data = data.with_cells(cells.X, cells.obs["condition"].astype(str).to_numpy(),
                               control=record.config.control)  # fmt: skip
    val = validation_conditions(pb, split, fraction=options.val_fraction, seed=train_config.seed)
    return NeuralPredictor(name=name, inputs=inputs, data=data, targets=pb.targets,
                           species=species, options=options, val=val)  # fmt: skip


@dataclass
class RunResult:
    """One fitted model on one split: its record, predictions (mean expression per evaluated
    condition) and evaluation, and the fitted predictor."""

    run: writeback.ModelRun
    evaluation: Evaluation
    predictions: dict[str, np.ndarray]
    seconds: float
    predictor: Predictor
    checkpoint: Path | None = None
    n_effects: int = 0
    n_learned_edges: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fit_summary(self) -> FitSummary | None:
        return getattr(self.predictor, "summary", None)


def fit_and_evaluate(
    predictor: Predictor,
    pb: Pseudobulk,
    split: Split,
    data_hash: str,
    *,
    on: Sequence[str] = ("test",),
    extra_config: dict[str, Any] | None = None,
) -> RunResult:
    """Fit on ``split``'s training conditions, predict the ``on`` sets, evaluate."""
    start = time.perf_counter()
    train = TrainingSet.from_split(pb, split)
    predictor.fit(train)
    conditions = evaluated_conditions(pb, split, on)
    deltas = predictor.predict_deltas([pb.targets[pb.row(c)] for c in conditions])
    predictions = {c: pb.control_mean + d for c, d in zip(conditions, deltas, strict=True)}
    evaluation = evaluate(predictions, pb, split, train.deltas.mean(axis=0))
    seconds = time.perf_counter() - start
    config = {**predictor.config(), "on": list(on), **(extra_config or {})}
    run = writeback.ModelRun(
        model=predictor.name, config=config, dataset=pb.dataset, split=split.name,
        data_hash=data_hash, metrics=evaluation.per_subgroup,
    )  # fmt: skip
    result = RunResult(run, evaluation, predictions, seconds, predictor)
    summary = result.fit_summary
    if summary is not None:
        result.extra.update(best_round=summary.best_round, rounds=len(summary.history),
                            interaction_weight=asdict(predictor.weight))  # fmt: skip
    return result


def run_directory(dataset: str, run: str, *, store: str | Path | None = None) -> Path:
    """``<dataset dir>/runs/<run id>`` (the id checked as a name: never a path)."""
    return dataset_dir(dataset, store) / "runs" / check_name(run, what="run")


def save_run_files(result: RunResult, directory: Path) -> Path:
    """``run.json`` (configuration, metrics per subgroup and per perturbation, loss history and
    best round) and, for neural models, the checkpoint with both exports."""
    directory.mkdir(parents=True, exist_ok=True)
    predictor = result.predictor
    if isinstance(predictor, NeuralPredictor):
        save_model(directory, predictor.model, train_config=predictor.train_config,
                   extra={"run": result.run.id})  # fmt: skip
        predictor.inputs.go.save(directory / "go_export.pt")
        predictor.inputs.coexp.save(directory / "coexp_export.pt")
    summary = result.fit_summary
    record = {
        "id": result.run.id, "model": result.run.model, "dataset": result.run.dataset,
        "split": result.run.split, "config": result.run.config, "seconds": result.seconds,
        "metrics": result.run.metrics,
        "per_perturbation": result.evaluation.per_perturbation,
        "history": summary.history if summary else [],
        "best_round": summary.best_round if summary else None,
        **result.extra,
    }  # fmt: skip
    (directory / "run.json").write_text(json.dumps(record, indent=2, default=str))
    return directory


def write_back(
    graph: Graph,
    result: RunResult,
    pb: Pseudobulk,
    *,
    species: str,
    edge_threshold: float = 0.5,
    edge_top_k: int = 20,
    selection: EffectSelection = writeback.DEFAULT_SELECTION,
    progress: bool = False,
) -> None:
    """Write the run to the graph in one switch: its ModelRun node, its full prediction matrix
    (with the posterior sd when the model gives one) in its run folder, its strongest effects
    and, for AdaPert, its learned edges (:func:`priorgraph.models.writeback.write_run`)."""
    if result.checkpoint is None:
        raise UsageError(f"run {result.run.id}: save the run files before writing it back")
    conditions = list(result.predictions)
    deltas = {c: result.predictions[c] - pb.control_mean for c in conditions}
    predictor = result.predictor
    sd = None
    if isinstance(predictor, GraphGP):
        values = predictor.predict_sd([pb.targets[pb.row(c)] for c in conditions])
        sd = dict(zip(conditions, values, strict=True))
    edges = None
    if isinstance(predictor, NeuralPredictor) and predictor.name == "adapert":
        edges = predictor.learned_edge_rows(result.run, threshold=edge_threshold, top_k=edge_top_k)
    result.n_effects = writeback.write_run(
        graph, result.run, deltas, pb.genes, directory=result.checkpoint, sd=sd,
        learned_edges=edges, species=species, selection=selection, progress=progress,
    )  # fmt: skip
    result.n_learned_edges = len(edges) if edges else 0


def train_run(
    graph: Graph,
    dataset: str,
    split_name: str,
    model: str,
    *,
    options: RunOptions | None = None,
    store: str | Path | None = None,
    write: bool = True,
    edge_threshold: float = 0.5,
    edge_top_k: int = 20,
    selection: EffectSelection = writeback.DEFAULT_SELECTION,
    progress: bool = True,
) -> RunResult:
    """Fit ``model`` on a stored data set and split, evaluate the test set, save the run files
    under ``<dataset dir>/runs/<run id>`` and write the run back unless ``write`` is False."""
    options = options or RunOptions()
    record = load_dataset(dataset, store)
    pb = record.pseudobulk()
    split = load_split(dataset, split_name, store)
    species = record.config.species
    priors = Priors(graph, pb, species=species, options=options)
    predictor = make_predictor(model, graph=graph, record=record, split=split, priors=priors,
                               options=options)  # fmt: skip
    extra = ({"learned_edges": {"threshold": edge_threshold, "top_k": edge_top_k}}
             if model == "adapert" else None)  # fmt: skip
    result = fit_and_evaluate(predictor, pb, split, record.pseudobulk_sha256, extra_config=extra)
    if model in NEURAL:
        result.extra["isolated_targets"] = priors.go_graph.isolated
    elif model in ("graph_gp", "linear"):
        result.extra["isolated_targets"] = priors.isolated_targets()
    result.checkpoint = save_run_files(result, run_directory(dataset, result.run.id, store=store))
    if write:
        write_back(graph, result, pb, species=species, edge_threshold=edge_threshold,
                   edge_top_k=edge_top_k, selection=selection, progress=progress)  # fmt: skip
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
