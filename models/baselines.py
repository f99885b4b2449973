"""Baselines every perturbation model must beat, on pseudobulk (per-condition mean) expression.

All models are fitted on the training conditions of a split only and predict the mean expression
of a perturbation from its target genes:

* ``no_change``: ŷ = c (the control mean);
* ``train_mean``: ŷ = c + mean_p∈train (y_p − c), the training-mean delta;
* ``additive``: ŷ = c + Σ_g∈targets (y_{g+ctrl} − c) over training singles (an unseen single
  contributes 0);
* ``linear`` (Ahlmann-Eltze et al. 2025): Y_train ≈ G·K·Pᵀ + b, with b the row (gene) means of
  Y_train (genes × conditions), G the first k principal-component scores of the genes in
  Y_train − b, and P the perturbation embeddings — by default the rows of G for the target
  genes (summed for doubles), or any gene-feature matrix (GO-neighbour vectors, GenePT) passed
  as ``features``. Ridge solution: K = (GᵀG + λI)⁻¹ Gᵀ (Y_train − b) P (PᵀP + λI)⁻¹, prediction
  ŷ = G·K·p + b (components with zero variance are dropped; pseudo-inverses cover λ = 0).
  Targets without an embedding get p = 0 (ŷ = b) and are counted.
"""

from __future__ import annotations

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
from priorgraph.models.runtime import device as torch_device
from priorgraph.models.writeback import ModelRun

Targets = tuple[str, ...]


@dataclass
class TrainingSet:
    """Training pseudobulk of one split: conditions (no control), their targets and means."""

    genes: list[str]
    control: np.ndarray
    conditions: list[str]
    targets: list[Targets]
    means: np.ndarray

    @classmethod
    def from_split(cls, pb: Pseudobulk, split: Split) -> TrainingSet:
        train = set(split.train)
        rows = [i for i, c in enumerate(pb.conditions) if c in train]
        if not rows:
            raise UsageError(f"split {split.name!r} has no training perturbation in {pb.dataset}")
        return cls(
            genes=list(pb.genes),
            control=pb.control_mean,
            conditions=[pb.conditions[i] for i in rows],
            targets=[pb.targets[i] for i in rows],
            means=pb.means[rows],
        )

    @property
    def deltas(self) -> np.ndarray:
        return self.means - self.control


class Baseline:
    """``fit`` on a TrainingSet, ``predict`` mean expression (rows) for lists of targets."""

    name = "baseline"

    def config(self) -> dict[str, Any]:
        return {"model": self.name}

    def fit(self, train: TrainingSet) -> Baseline:
        self.train = train
        return self

    def predict(self, targets: Sequence[Targets]) -> np.ndarray:
        raise NotImplementedError


class NoChange(Baseline):
    """ŷ = control mean."""

    name = "no_change"

    def predict(self, targets: Sequence[Targets]) -> np.ndarray:
        return np.tile(self.train.control, (len(targets), 1))


class TrainMean(Baseline):
    """ŷ = control + mean training delta."""

    name = "train_mean"

    def predict(self, targets: Sequence[Targets]) -> np.ndarray:
        mean_delta = self.train.deltas.mean(axis=0)
        return np.tile(self.train.control + mean_delta, (len(targets), 1))


class Additive(Baseline):
    """ŷ = control + sum of the training single deltas of the targets."""

    name = "additive"

    def fit(self, train: TrainingSet) -> Additive:
        super().fit(train)
        self.single = {
            t[0]: d for t, d in zip(train.targets, train.deltas, strict=True) if len(t) == 1
        }
        return self

    def predict(self, targets: Sequence[Targets]) -> np.ndarray:
        zero = np.zeros_like(self.train.control)
        return np.vstack(
            [self.train.control + sum((self.single.get(g, zero) for g in t), zero) for t in targets]
        )


class LinearModel(Baseline):
    """Ahlmann-Eltze linear model Y ≈ G·K·Pᵀ + b (see the module doc)."""

    name = "linear"

    def __init__(
        self,
        *,
        k: int = 10,
        ridge: float = 0.1,
        features: pd.DataFrame | None = None,
        device: str | None = None,
    ):
        if k < 1 or ridge < 0:
            raise UsageError("linear model: k must be ≥ 1 and ridge ≥ 0")
        self.k = k
        self.ridge = ridge
        self.features = features
        self.device = torch_device(device)

    def config(self) -> dict[str, Any]:
        source = "pca" if self.features is None else f"features[{self.features.shape[1]}]"
        return {"model": self.name, "k": self.k, "ridge": self.ridge, "p": source}

    def _embed(self, targets: Sequence[Targets]) -> tuple[torch.Tensor, int]:
        """Perturbation embeddings (rows, summed over targets) and how many targets had none."""
        table = self.gene_embedding
        width = table.shape[1]
        out = torch.zeros((len(targets), width), dtype=torch.float64, device=self.device)
        missing = 0
        for i, t in enumerate(targets):
            for g in t:
                row = self.gene_row.get(g)
                if row is None:
                    missing += 1
                else:
                    out[i] += table[row]
        return out, missing

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
        p, self.train_missing = self._embed(train.targets)
        eye = lambda n: torch.eye(n, dtype=torch.float64, device=self.device)  # noqa: E731
        # pinv = inverse when invertible; also covers λ = 0 with collinear embeddings
        left = torch.linalg.pinv(self.g.T @ self.g + self.ridge * eye(k)) @ self.g.T @ centred
        right = p @ torch.linalg.pinv(p.T @ p + self.ridge * eye(p.shape[1]))
        self.kmat = left @ right  # k × embedding width
        return self

    def predict(self, targets: Sequence[Targets]) -> np.ndarray:
        p, self.predict_missing = self._embed(targets)
        y = self.g @ self.kmat @ p.T + self.b
        return y.T.cpu().numpy()


MODELS = {m.name: m for m in (NoChange, TrainMean, Additive, LinearModel)}


def make_model(name: str, **params: Any) -> Baseline:
    """A baseline by name (``no_change``, ``train_mean``, ``additive``, ``linear``)."""
    try:
        return MODELS[name](**params)
    except KeyError:
        raise UsageError(f"unknown baseline {name!r}; choose one of {', '.join(MODELS)}") from None


def predict_conditions(
    model: Baseline, pb: Pseudobulk, conditions: Sequence[str]
) -> dict[str, np.ndarray]:
    """Predicted mean expression of each condition (by its targets)."""
    targets = [pb.targets[pb.row(c)] for c in conditions]
    return dict(zip(conditions, model.predict(targets), strict=True))


@dataclass
class BaselineRun:
    """A fitted baseline's predictions (mean expression per condition) and their evaluation."""

    model: Baseline
    predictions: dict[str, np.ndarray]
    evaluation: Evaluation
    run: ModelRun

    def deltas(self, control: np.ndarray) -> dict[str, np.ndarray]:
        return {c: p - control for c, p in self.predictions.items()}


def run_baseline(
    model: Baseline,
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
