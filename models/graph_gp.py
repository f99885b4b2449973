"""Additive Gaussian-process model with graph kernels: priorgraph's model for combinations and
perturbations that were never measured.

Every perturbation ``S`` (a set of target genes) changes each gene ``j`` by the sum of its
targets' single effects plus, for a combination, an interaction; the single effects of
different targets are correlated as much as the knowledge graph says the targets are alike::

    y_Sj = Σ_{g∈S} β_gj + γ_Sj + ε_Sj
    β_gj = |S|-free mean μ_j + f_gj,      f_·j ~ GP(0, s²_j K),   K = α K_graph + (1 − α) I
    γ_·j ~ GP(0, λ s²_j K_pair),          K_pair({a,b},{c,d}) = ½ (K_ac K_bd + K_ad K_bc)
    Cov(ε_Sj, ε_S'j) = δ_SS' v_Sj + v_0j

``y_Sj`` is the observed change of the condition's mean from the control mean, ``v_Sj`` the
squared standard error of the condition's mean and ``v_0j`` that of the control mean: every
observed change shares the control's noise, which additive prediction (Δ̂_AB = Δ_A + Δ_B) counts
twice. ``K_graph`` is a kernel between genes read from the graph (GO annotations, GenePT, …);
the pair kernel makes two combinations alike when their targets are alike (Kronecker kernel).

Hyper-parameters are set from the training data: ``μ_j`` is the mean per-target change,
``s²_j`` the variance of the remaining signal (total minus noise), ``α`` and ``λ`` are fixed
(config). The noise is taken separable, ``v_Sj ≈ v̄_S r_j``, so one ``C × C`` eigen-
decomposition serves every gene (``C`` training conditions) and the fit scales to genome-wide
screens; the posterior mean of a held-out perturbation ``S*`` is then::

    ŷ_S*j = |S*| μ_j + s²_j k_S*ᵀ (s²_j K_C + r_j N)⁻¹ (y_·j − |S|μ_j),   N = diag(v̄) + v̄_0 11ᵀ

with ``K_C`` the training conditions' kernel ``A K Aᵀ + λ K_pair`` (``A`` the condition × target
incidence matrix). A measured single is thus denoised by its noise level and by what related
perturbations and combinations say about it, an unmeasured target is predicted from related
measured ones, and a combination is additive unless the data and the graph support an
interaction. The posterior standard deviation comes with every prediction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from priorgraph.core.errors import UsageError
from priorgraph.models.predictor import Predictor, Targets, TrainingSet
from priorgraph.queries.gene_similarity import GeneKernel

JITTER = 1e-8


@dataclass(frozen=True)
class GraphGPConfig:
    """Hyper-parameters of :class:`GraphGP` (the module docstring's α and λ)."""

    alpha: float = 0.9  # weight of the graph kernel against an independent per-target term
    interaction: float = 0.5  # λ: prior variance of a pair interaction, relative to a single

    def __post_init__(self) -> None:
        if not 0 <= self.alpha <= 1 or self.interaction < 0:
            raise UsageError("graph_gp: alpha must be in [0, 1] and interaction ≥ 0")


def incidence(targets: Sequence[Targets], genes: Sequence[str]) -> np.ndarray:
    """``A[c, g] = 1`` when gene ``g`` is a target of condition ``c``."""
    column = {g: i for i, g in enumerate(genes)}
    out = np.zeros((len(targets), len(genes)))
    for row, t in enumerate(targets):
        for g in t:
            out[row, column[g]] = 1.0
    return out


def pair_kernel(a: Sequence[Targets], b: Sequence[Targets], k: np.ndarray,
                column: dict[str, int]) -> np.ndarray:  # fmt: skip
    """``½ (K_ac K_bd + K_ad K_bc)`` between the two-target conditions of ``a`` and ``b``
    (0 wherever either is not a pair)."""
    out = np.zeros((len(a), len(b)))
    for i, s in enumerate(a):
        if len(s) != 2:
            continue
        p, q = column[s[0]], column[s[1]]
        for j, t in enumerate(b):
            if len(t) == 2:
                r, u = column[t[0]], column[t[1]]
                out[i, j] = 0.5 * (k[p, r] * k[q, u] + k[p, u] * k[q, r])
    return out


class GraphGP(Predictor):
    """Additive GP with a graph kernel over the targets (module docstring).

    ``kernel`` must cover every target the model is fitted on or asked about (a target outside
    it is treated as similar to nothing). ``predict_sd`` gives the posterior standard deviation
    of the predicted change (the uncertainty of the mean response, without cell noise).
    """

    name = "graph_gp"

    def __init__(self, *, kernel: GeneKernel, config: GraphGPConfig | None = None):
        self.kernel = kernel
        self.settings = config or GraphGPConfig()

    def config(self) -> dict[str, Any]:
        return {"model": self.name, "kernel": self.kernel.name, **asdict(self.settings)}

    def fit(self, train: TrainingSet) -> GraphGP:
        """Set μ, s² and the noise from ``train`` and decompose the training covariance."""
        super().fit(train)
        if train.mean_variances is None or train.control_mean_variance is None:
            raise UsageError("graph_gp needs the standard errors of the training means "
                             "(re-ingest the data set)")  # fmt: skip
        y = train.deltas
        sizes = np.array([len(t) for t in train.targets], dtype=np.float64)[:, None]
        self.mu = (y / sizes).mean(axis=0)
        residual = y - sizes * self.mu
        noise = train.mean_variances + JITTER
        self.s2 = np.maximum((residual**2).mean(axis=0) - noise.mean(axis=0), JITTER)
        # separable noise v_Sj ≈ v̄_S r_j; the control's noise is shared by every condition
        self.r = noise.mean(axis=0) / noise.mean()
        v_bar = (noise / self.r).mean(axis=1)
        v_0 = float((train.control_mean_variance / self.r).mean())
        n = np.diag(v_bar) + v_0
        self.whiten = np.linalg.inv(np.linalg.cholesky(n))  # L⁻¹ with N = L Lᵀ
        kc = self._covariance(train.targets, train.targets)
        values, self.vectors = np.linalg.eigh(self.whiten @ kc @ self.whiten.T)
        self.values = np.clip(values, 0, None)
        self.projected = self.vectors.T @ self.whiten @ residual  # C × G
        return self

    def _covariance(self, a: Sequence[Targets], b: Sequence[Targets]) -> np.ndarray:
        """Prior covariance of the summed effects of ``a`` and ``b`` (up to s²_j):
        ``A_a K A_bᵀ + λ K_pair``."""
        genes = sorted({g for t in (*a, *b) for g in t})
        k = self.settings.alpha * self.kernel.submatrix(genes)
        k += (1 - self.settings.alpha) * np.eye(len(genes))
        column = {g: i for i, g in enumerate(genes)}
        cov = incidence(a, genes) @ k @ incidence(b, genes).T
        return cov + self.settings.interaction * pair_kernel(a, b, k, column)

    def predict_deltas(self, targets: Sequence[Targets]) -> np.ndarray:
        """Posterior mean of the change of each target list (module docstring)."""
        cross = self._covariance(targets, self.train.targets) @ self.whiten.T @ self.vectors
        weights = self.projected / (self.s2 * self.values[:, None] + self.r)
        sizes = np.array([len(t) for t in targets], dtype=np.float64)[:, None]
        return sizes * self.mu + (cross @ weights) * self.s2

    def predict_sd(self, targets: Sequence[Targets]) -> np.ndarray:
        """Posterior standard deviation of each predicted change (target lists × genes)."""
        cross = self._covariance(targets, self.train.targets) @ self.whiten.T @ self.vectors
        prior = np.diag(self._covariance(targets, targets))[:, None] * self.s2
        explained = (cross**2) @ (1.0 / (self.s2 * self.values[:, None] + self.r)) * self.s2**2
        return np.sqrt(np.clip(prior - explained, 0, None))
