"""Evaluation metrics of perturbation predictions, per perturbation and per test subgroup.

Notation for one perturbation: ŷ predicted and y observed mean expression (genes), c the control
mean, Δ = y − c and Δ̂ = ŷ − c; DE20 its top-20 DE genes (|t| vs control), ND20 the top-20
non-dropout DE genes; r(a, b) Pearson correlation (GEARS reports 0 when undefined).

* ``pearson_delta`` = r(Δ̂, Δ) over all genes; ``pearson_delta_top20_de`` = r over DE20 (GEARS).
* ``mse_top20_de_non_dropout`` = mean_{g∈ND20} (ŷ_g − y_g)² (GEARS), and
  ``mse_top20_de_non_dropout_norm`` = that / the same for the no-change prediction ŷ = c.
* ``frac_opposite_direction_top20_non_dropout`` = share of g∈ND20 with sign(Δ̂_g) = −sign(Δ_g) ≠ 0
  (GEARS).
* ``l2_top_expressed`` = ‖ŷ − y‖₂ over the 1,000 genes most expressed in control
  (Ahlmann-Eltze et al. 2025).
* ``weighted_mse`` = Σ_g w_g (ŷ_g − y_g)² and ``weighted_delta_r2`` = 1 − Σ w (d − d̂)² /
  Σ w (d − d̄_w)² with d = y − m, d̂ = ŷ − m, m the mean of all perturbed cells, d̄_w = Σ w d / Σ w
  (Mejia et al. 2025). Weights: w_g ∝ ((|t_g| − min|t|) / (max|t| − min|t|))², t the DE t-scores
  of the perturbation against all other perturbed cells, normalised to Σ w = 1.
* ``mean_collapse`` = (Δ̂·μ)² / (‖Δ̂‖² ‖μ‖²), μ the training-mean delta: the share of the
  predicted delta explained by a least-squares fit Δ̂ ≈ βμ (1 = the model only predicts the
  training mean; undefined, NaN, for a zero prediction).
* ``de_overlap_top20`` = |top-20 genes by |Δ̂| ∩ DE20| / 20: whether the model moves the genes
  that move (a pseudobulk version of the differential-expression score, DES, of cell-eval and
  the AdaPert paper).
* ``pds`` (perturbation discrimination score) = the rank of the true perturbation among all
  evaluated ones by L1 distance ‖Δ̂_p − Δ_q‖₁, scaled to [0, 1]: 0 when the prediction is closest
  to its own perturbation, ~0.5 for a prediction that says nothing about which perturbation it
  is (ties count half). Needs ≥ 2 evaluated perturbations (NaN otherwise).

Subgroup values are means over their perturbations (NaNs skipped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from priorgraph.core.errors import UsageError
from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.core.splits import Split

METRICS = (
    "pearson_delta",
    "pearson_delta_top20_de",
    "mse_top20_de_non_dropout",
    "mse_top20_de_non_dropout_norm",
    "frac_opposite_direction_top20_non_dropout",
    "l2_top_expressed",
    "weighted_mse",
    "weighted_delta_r2",
    "mean_collapse",
    "de_overlap_top20",
    "pds",
)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r; 0 when either side is constant (as GEARS does)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    da, db = a - a.mean(), b - b.mean()
    denom = np.sqrt((da * da).sum() * (db * db).sum())
    return float((da * db).sum() / denom) if denom > 0 else 0.0


def pearson_delta(pred: np.ndarray, true: np.ndarray, control: np.ndarray) -> float:
    return pearson(pred - control, true - control)


def pearson_delta_top20_de(
    pred: np.ndarray, true: np.ndarray, control: np.ndarray, de: np.ndarray
) -> float:
    return pearson(pred[de] - control[de], true[de] - control[de])


def mse(pred: np.ndarray, true: np.ndarray, genes: np.ndarray) -> float:
    return float(np.mean((pred[genes] - true[genes]) ** 2))


def frac_opposite_direction(
    pred: np.ndarray, true: np.ndarray, control: np.ndarray, genes: np.ndarray
) -> float:
    change = np.abs(np.sign(pred[genes] - control[genes]) - np.sign(true[genes] - control[genes]))
    return float(np.mean(change == 2))


def l2_distance(pred: np.ndarray, true: np.ndarray, genes: np.ndarray) -> float:
    return float(np.linalg.norm(pred[genes] - true[genes]))


def deg_weights(scores: np.ndarray) -> np.ndarray:
    """Mejia et al. weights: min-max scaled |t|, squared, normalised to sum 1."""
    a = np.abs(np.asarray(scores, dtype=np.float64))
    span = a.max() - a.min()
    if span > 0:
        w = ((a - a.min()) / span) ** 2
    else:
        w = np.ones_like(a) if a.max() > 0 else np.zeros_like(a)
    total = w.sum()
    return w / total if total > 0 else w


def weighted_mse(pred: np.ndarray, true: np.ndarray, weights: np.ndarray) -> float:
    return float(np.sum(weights * (pred - true) ** 2) / np.sum(weights))


def weighted_delta_r2(
    pred: np.ndarray, true: np.ndarray, reference: np.ndarray, weights: np.ndarray
) -> float:
    d, d_hat = true - reference, pred - reference
    d_bar = np.sum(weights * d) / np.sum(weights)
    total = np.sum(weights * (d - d_bar) ** 2)
    return float(1 - np.sum(weights * (d - d_hat) ** 2) / total) if total > 0 else float("nan")


def mean_collapse(pred: np.ndarray, control: np.ndarray, train_mean_delta: np.ndarray) -> float:
    d_hat = pred - control
    denom = float(np.dot(d_hat, d_hat) * np.dot(train_mean_delta, train_mean_delta))
    return float(np.dot(d_hat, train_mean_delta) ** 2 / denom) if denom > 0 else float("nan")


def evaluated_conditions(pb: Pseudobulk, split: Split, on: Sequence[str]) -> list[str]:
    """The conditions of ``pb`` that ``split`` puts in the sets ``on`` (``test``, ``val``), in
    pseudobulk order; a UsageError when there are none."""
    assignment = split.assignment()
    conditions = [c for c in pb.conditions if assignment.get(c) in on]
    if not conditions:
        raise UsageError(f"split {split.name!r} has no {'/'.join(on)} condition to predict")
    return conditions


def de_overlap(pred: np.ndarray, control: np.ndarray, de: np.ndarray) -> float:
    """Share of the true DE genes ``de`` among the ``len(de)`` largest predicted changes."""
    top = np.argsort(-np.abs(pred - control), kind="stable")[: len(de)]
    return len(set(top.tolist()) & set(de.tolist())) / max(len(de), 1)


def discrimination_scores(predicted: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """PDS of each row: the scaled rank of ``observed[i]`` among all rows of ``observed`` by L1
    distance to ``predicted[i]`` (ties count half); NaN with fewer than two rows."""
    n = len(predicted)
    if n < 2:
        return np.full(n, np.nan)
    scores = np.empty(n)
    for i in range(n):  # one row at a time: memory n × genes, not n² × genes
        distance = np.abs(observed - predicted[i]).sum(axis=1)
        closer = (distance < distance[i]).sum()
        ties = (distance == distance[i]).sum() - 1
        scores[i] = (closer + 0.5 * ties) / (n - 1)
    return scores


@dataclass
class Evaluation:
    """Metrics per perturbation and their means per test subgroup (plus ``all``)."""

    per_perturbation: dict[str, dict[str, float]]
    per_subgroup: dict[str, dict[str, float]]

    def summary(self) -> dict[str, float]:
        return self.per_subgroup["all"]


def evaluate(
    predictions: Mapping[str, np.ndarray],
    pb: Pseudobulk,
    split: Split,
    train_mean_delta: np.ndarray,
    *,
    n_top: int = 20,
    n_expressed: int = 1000,
) -> Evaluation:
    """Every metric of the module doc for each predicted condition, then per subgroup."""
    control = pb.control_mean
    expressed = np.argsort(-control, kind="stable")[:n_expressed]
    per: dict[str, dict[str, float]] = {}
    for condition, pred in predictions.items():
        i = pb.row(condition)
        true = pb.means[i]
        de = pb.top_de(condition, n_top)
        nd = pb.top_non_dropout_de(condition, n_top)
        weights = deg_weights(pb.rest_scores[i])
        m = mse(pred, true, nd)
        m0 = mse(control, true, nd)
        per[condition] = {
            "pearson_delta": pearson_delta(pred, true, control),
            "pearson_delta_top20_de": pearson_delta_top20_de(pred, true, control, de),
            "mse_top20_de_non_dropout": m,
            "mse_top20_de_non_dropout_norm": m / m0 if m0 > 0 else float("nan"),
            "frac_opposite_direction_top20_non_dropout": frac_opposite_direction(
                pred, true, control, nd
            ),
            "l2_top_expressed": l2_distance(pred, true, expressed),
            "weighted_mse": weighted_mse(pred, true, weights),
            "weighted_delta_r2": weighted_delta_r2(pred, true, pb.perturbed_mean, weights),
            "mean_collapse": mean_collapse(pred, control, train_mean_delta),
            "de_overlap_top20": de_overlap(pred, control, de),
        }
    names = list(per)
    pds = discrimination_scores(
        np.array([predictions[c] for c in names]), np.array([pb.means[pb.row(c)] for c in names])
    )
    for condition, score in zip(names, pds, strict=True):
        per[condition]["pds"] = float(score)
    groups: dict[str, Sequence[str]] = {
        g: [c for c in conds if c in per] for g, conds in split.subgroups.items()
    }
    groups["all"] = list(per)
    per_subgroup = {
        g: {"n": float(len(conds)), **_means([per[c] for c in conds])}
        for g, conds in groups.items()
        if conds
    }
    return Evaluation(per, per_subgroup)


def _means(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    out = {}
    for name in METRICS:
        values = np.array([r[name] for r in rows], dtype=np.float64)
        out[name] = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    return out
