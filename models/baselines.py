"""Baselines every perturbation model must beat, fitted on pseudobulk (per-condition means).

All are fitted on the training conditions of a split only and predict the change from control
``Δ̂`` of a perturbation from its target genes (the mean expression is ``c + Δ̂``); ``μ`` below is
the mean change of the training singles (of every training condition when there is no single):

* ``no_change``: Δ̂ = 0;
* ``train_mean``: Δ̂ = mean over all training conditions of their change;
* ``additive``: Δ̂ = Σ_{g∈targets} Δ_g over the targets whose single is trained (an untrained
  target contributes 0: "partial additive" for a double with one measured single);
* ``go_neighbour``: per target, its trained single Δ_g, else μ + α (Δ_n − μ) with ``n`` its most
  GO-similar trained single (μ when it shares no GO term with any), summed over the targets;
  α = 0.3 (the project's reference figure: on leave-one-out Norman singles it lifts
  pearson_delta from 0.34 to 0.42). A graph model that cannot beat it is not using the graph;
* ``linear`` (Ahlmann-Eltze et al. 2025): Y_train ≈ G·K·Pᵀ + b, with b the row (gene) means of
  Y_train (genes × conditions), G the first k principal-component scores of the genes in
  Y_train − b, and P the perturbation embeddings (summed over targets): by default a spectral
  embedding of the targets' GO similarity
  (:func:`priorgraph.queries.gene_similarity.kernel_embedding`), so an unmeasured target still
  gets an informed prediction; or the rows of G for measured
  targets (``embedding="pca"``), or any gene-feature table (GenePT, …) passed as ``features``.
  Ridge solution: K = (GᵀG + λI)⁻¹ Gᵀ (Y_train − b) P (PᵀP + λI)⁻¹, prediction ŷ = G·K·p + b.
  A target without an embedding is reported (logged, and counted in ``missing``): it would get
  p = 0, i.e. the training mean.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from priorgraph.core.errors import FeatureFileError, UsageError
from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.core.splits import Split
from priorgraph.core.utils import open_text
from priorgraph.models.metrics import Evaluation, evaluate, evaluated_conditions
from priorgraph.models.predictor import Predictor, Targets, TrainingSet
from priorgraph.models.runtime import device as torch_device
from priorgraph.models.writeback import ModelRun
from priorgraph.queries.gene_similarity import GeneKernel

log = logging.getLogger(__name__)
GO_NEIGHBOUR_ALPHA = 0.3


def _single_mean(train: TrainingSet) -> np.ndarray:
    """μ: the mean change of the training singles (of every training condition if none)."""
    singles = train.single_deltas
    return np.mean(list(singles.values()), axis=0) if singles else train.deltas.mean(axis=0)


class NoChange(Predictor):
    """Δ̂ = 0: the control mean."""

    name = "no_change"

    def predict_deltas(self, targets: Sequence[Targets]) -> np.ndarray:
        return np.zeros((len(targets), len(self.train.control)))


class TrainMean(Predictor):
    """Δ̂ = the mean training change."""

    name = "train_mean"

    def predict_deltas(self, targets: Sequence[Targets]) -> np.ndarray:
        return np.tile(self.train.deltas.mean(axis=0), (len(targets), 1))


class Additive(Predictor):
    """Δ̂ = sum of the trained single changes of the targets (untrained targets add 0)."""

    name = "additive"

    def predict_deltas(self, targets: Sequence[Targets]) -> np.ndarray:
        singles = self.train.single_deltas
        zero = np.zeros_like(self.train.control)
        return np.vstack([sum((singles.get(g, zero) for g in t), zero) for t in targets])


class GONeighbour(Predictor):
    """Per target: its trained single, else μ + α (Δ_nearest GO neighbour − μ) (module doc)."""

    name = "go_neighbour"

    def __init__(self, *, similarity: GeneKernel, alpha: float = GO_NEIGHBOUR_ALPHA):
        if not 0 <= alpha <= 1:
            raise UsageError(f"go_neighbour: alpha must be in [0, 1], got {alpha}")
        self.similarity = similarity
        self.alpha = alpha

    def config(self) -> dict[str, Any]:
        return {"model": self.name, "alpha": self.alpha, "similarity": self.similarity.name}

    def neighbour(self, gene: str) -> str | None:
        """The trained single most GO-similar to ``gene`` (None when none shares a term)."""
        trained = [g for g in self.train.single_deltas if g != gene]
        if not trained or gene not in self.similarity.index:
            return None
        scores = self.similarity.values(gene, trained)
        best = int(np.argmax(scores))
        return trained[best] if scores[best] > 0 else None

    def predict_deltas(self, targets: Sequence[Targets]) -> np.ndarray:
        singles, mu = self.train.single_deltas, _single_mean(self.train)
        rows = []
        for t in targets:
            total = np.zeros_like(mu)
            for gene in t:
                if gene in singles:
                    total += singles[gene]
                    continue
                nearest = self.neighbour(gene)
                total += mu if nearest is None else mu + self.alpha * (singles[nearest] - mu)
            rows.append(total)
        return np.vstack(rows)


class LinearModel(Predictor):
    """Ahlmann-Eltze linear model Y ≈ G·K·Pᵀ + b (see the module doc)."""

    name = "linear"

    def __init__(
        self,
        *,
        k: int = 10,
        ridge: float = 0.1,
        features: pd.DataFrame | None = None,
        embedding: str = "features",
        device: str | None = None,
    ):
        if k < 1 or ridge < 0:
            raise UsageError("linear model: k must be ≥ 1 and ridge ≥ 0")
        if features is None and embedding != "pca":
            raise UsageError("linear model: pass features (a graph embedding) or embedding='pca'")
        self.k = k
        self.ridge = ridge
        self.features = features
        self.embedding = embedding
        self.device = torch_device(device)
        self.missing: list[str] = []

    def config(self) -> dict[str, Any]:
        source = "pca" if self.features is None else f"{self.embedding}[{self.features.shape[1]}]"
        return {"model": self.name, "k": self.k, "ridge": self.ridge, "p": source}

    def _embed(self, targets: Sequence[Targets]) -> torch.Tensor:
        """Perturbation embeddings (rows, summed over targets); records targets without one."""
        table = self.gene_embedding
        out = torch.zeros((len(targets), table.shape[1]), dtype=torch.float64, device=self.device)
        missing = []
        for i, t in enumerate(targets):
            for g in t:
                row = self.gene_row.get(g)
                if row is None:
                    missing.append(g)
                else:
                    out[i] += table[row]
        if missing:
            log.warning(
                "linear model: %d target(s) have no embedding and get the training mean: %s",
                len(missing), ", ".join(sorted(set(missing))[:10]),
            )  # fmt: skip
        self.missing = sorted(set(missing))
        return out

    def fit(self, train: TrainingSet) -> LinearModel:
        super().fit(train)
        t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64), device=self.device)  # noqa: E731
        y = t(train.means).T  # genes × conditions
        self.b = y.mean(dim=1, keepdim=True)
        centred = y - self.b
        u, s, _ = torch.linalg.svd(centred, full_matrices=False)
        k = min(self.k, int((s > s[0] * 1e-10).sum()) if len(s) else 0) or 1
        self.g = u[:, :k] * s[:k]  # PC scores of the genes
        if self.features is None:
            self.gene_embedding = self.g
            self.gene_row = {g: i for i, g in enumerate(train.genes)}
        else:
            self.gene_embedding = t(self.features.to_numpy())
            self.gene_row = {str(g): i for i, g in enumerate(self.features.index)}
        p = self._embed(train.targets)
        self.train_missing = self.missing
        eye = lambda n: torch.eye(n, dtype=torch.float64, device=self.device)  # noqa: E731
        # pinv = inverse when invertible; also covers λ = 0 with collinear embeddings
        left = torch.linalg.pinv(self.g.T @ self.g + self.ridge * eye(k)) @ self.g.T @ centred
        right = p @ torch.linalg.pinv(p.T @ p + self.ridge * eye(p.shape[1]))
        self.kmat = left @ right  # k × embedding width
        return self

    def predict_deltas(self, targets: Sequence[Targets]) -> np.ndarray:
        p = self._embed(targets)
        y = self.g @ self.kmat @ p.T + self.b
        return y.T.cpu().numpy() - self.train.control


MODELS = {m.name: m for m in (NoChange, TrainMean, Additive, GONeighbour, LinearModel)}


def make_model(name: str, **params: Any) -> Predictor:
    """A baseline by name (``no_change``, ``train_mean``, ``additive``, ``go_neighbour``,
    ``linear``); ``params`` go to its constructor."""
    try:
        return MODELS[name](**params)
    except KeyError:
        raise UsageError(f"unknown baseline {name!r}; choose one of {', '.join(MODELS)}") from None


def predict_conditions(
    model: Predictor, pb: Pseudobulk, conditions: Sequence[str]
) -> dict[str, np.ndarray]:
    """Predicted mean expression of each condition (by its targets)."""
    targets = [pb.targets[pb.row(c)] for c in conditions]
    return dict(zip(conditions, model.predict(targets), strict=True))


@dataclass
class BaselineRun:
    """A fitted baseline's predictions (mean expression per condition) and their evaluation."""

    model: Predictor
    predictions: dict[str, np.ndarray]
    evaluation: Evaluation
    run: ModelRun

    def deltas(self, control: np.ndarray) -> dict[str, np.ndarray]:
        return {c: p - control for c, p in self.predictions.items()}


def run_baseline(
    model: Predictor,
    pb: Pseudobulk,
    split: Split,
    data_hash: str,
    *,
    on: Sequence[str] = ("test",),
) -> BaselineRun:
    """Fit on the split's training conditions, predict its ``on`` sets, evaluate."""
    train = TrainingSet.from_split(pb, split)
    model.fit(train)
    conditions = evaluated_conditions(pb, split, on)
    predictions = predict_conditions(model, pb, conditions)
    evaluation = evaluate(predictions, pb, split, train.deltas.mean(axis=0))
    config = {**model.config(), "on": list(on)}
    run = ModelRun(
        model=model.name, config=config, dataset=pb.dataset, split=split.name,
        data_hash=data_hash, metrics=evaluation.per_subgroup,
    )  # fmt: skip
    return BaselineRun(model, predictions, evaluation, run)


def read_features(path: str | Path) -> pd.DataFrame:
    """A gene-feature matrix: CSV/TSV, first column gene symbols, other columns numbers."""
    path = Path(path)
    sep = "\t" if path.suffix in (".tsv", ".txt") else ","
    try:
        with open_text(path, newline="") as handle:
            table = pd.read_csv(handle, sep=sep, index_col=0)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise FeatureFileError(path, f"not a {sep!r}-separated table: {err}") from err
    bad = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if bad:
        raise FeatureFileError(path, f"feature columns must be numeric; not: {bad[:5]}")
    if table.index.duplicated().any():
        raise FeatureFileError(
            path, f"duplicated gene symbols, e.g. {table.index[table.index.duplicated()][0]}"
        )
    if not np.isfinite(table.to_numpy()).all():
        raise FeatureFileError(path, "features contain NaN or infinity")
    table.index = table.index.astype(str)
    return table
