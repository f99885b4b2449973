"""A known-truth Perturb-seq simulator: counts generated from a hidden sparse regulatory network.

The hidden network ``W`` (``W[i, j]`` = effect of regulator ``i`` on target ``j``) takes a chosen
fraction of its edges (``overlap``) from a prior graph (e.g. the GEARS GO graph) and the rest at
random, so a model that trusts the prior blindly is only partly right. A perturbation of target
set ``S`` is a shock ``s`` (``s_g = knockdown`` for ``g`` in ``S``) propagated for ``hops`` steps:

    delta = sum_{k=0..hops} (W^T)^k s          (log-scale change of every gene's mean)

For a double ``A+B`` with an interaction (a fraction ``interaction_rate`` of the doubles), a
sparse extra term ``gamma * e`` is added, where ``e`` has random signs on genes that either single
moves, so the additive model is wrong exactly there. Cell counts are negative binomial around
``mu * exp(delta)`` times a per-cell size factor, with extra zeros (``dropout``).

Everything is seeded; :func:`simulate` returns the AnnData and the true network, which
:func:`save` writes beside it so learned edges can be scored (AUPRC).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from priorgraph.core.errors import UsageError

CONTROL = "ctrl"


@dataclass(frozen=True)
class SimulationConfig:
    """Sizes, network and noise settings; the defaults give a small but non-trivial data set."""

    n_genes: int = 200
    n_singles: int = 40
    n_doubles: int = 60
    cells_per_condition: int = 60
    control_cells: int = 600
    regulators_per_gene: float = 2.0  # mean in-degree of the hidden network
    overlap: float = 0.5  # fraction of hidden edges taken from the prior graph
    weight_scale: float = 0.6
    hops: int = 2  # effect sparsity: how far a perturbation propagates
    knockdown: float = -1.5  # log-scale shock on the targeted genes
    interaction_rate: float = 0.3
    interaction_strength: float = 0.8
    mean_log_expression: float = 1.0
    dispersion: float = 5.0  # negative binomial size: larger = less noise
    dropout: float = 0.05
    seed: int = 0


@dataclass
class Simulation:
    """The simulated data, the hidden truth and the parameters that made them."""

    adata: ad.AnnData
    network: pd.DataFrame  # regulator, target, weight (gene symbols)
    deltas: pd.DataFrame  # true log-scale mean change per condition (rows) and gene (columns)
    config: SimulationConfig
    interacting: list[str] = field(default_factory=list)


def hidden_network(
    genes: list[str],
    prior_edges: list[tuple[str, str]],
    config: SimulationConfig,
    rng: np.random.Generator,
) -> sp.csr_matrix:
    """Sparse ``W``: ``overlap`` of its edges from the prior, the rest random, no self-loops."""
    index = {g: i for i, g in enumerate(genes)}
    n = len(genes)
    n_edges = round(config.regulators_per_gene * n)
    prior = sorted({(index[a], index[b]) for a, b in prior_edges if a in index and b in index})
    prior = [(a, b) for a, b in prior if a != b]
    n_prior = min(round(config.overlap * n_edges), len(prior))
    chosen = (
        {prior[i] for i in rng.choice(len(prior), size=n_prior, replace=False)}
        if n_prior
        else set()
    )
    prior_set = set(prior)
    while len(chosen) < n_edges:
        a, b = (int(x) for x in rng.integers(0, n, size=2))
        if a != b and (a, b) not in prior_set:
            chosen.add((a, b))
    rows, cols = np.array(sorted(chosen)).T
    signs = rng.choice([-1.0, 1.0], size=len(rows))
    weights = signs * rng.uniform(0.5, 1.0, size=len(rows)) * config.weight_scale
    return sp.csr_matrix((weights, (rows, cols)), shape=(n, n))


def propagate(w: sp.csr_matrix, shock: np.ndarray, hops: int) -> np.ndarray:
    """``sum_{k=0..hops} (W^T)^k shock``: the log-scale change of every gene."""
    total, current = shock.copy(), shock
    wt = w.T.tocsr()
    for _ in range(hops):
        current = wt @ current
        total = total + current
    return total


def simulate(
    config: SimulationConfig | None = None,
    genes: list[str] | None = None,
    prior_edges: list[tuple[str, str]] | None = None,
) -> Simulation:
    """Generate a Perturb-seq-like data set (raw counts, GEARS-style ``obs['condition']``)."""
    config = config or SimulationConfig()
    rng = np.random.default_rng(config.seed)
    genes = list(genes) if genes is not None else [f"G{i:04d}" for i in range(config.n_genes)]
    if len(genes) != len(set(genes)):
        raise UsageError("gene symbols must be unique")
    n = len(genes)
    if config.n_singles > n:
        raise UsageError(f"n_singles={config.n_singles} exceeds the {n} genes")
    w = hidden_network(genes, prior_edges or [], config, rng)

    singles = sorted(rng.choice(n, size=config.n_singles, replace=False).tolist())
    pairs = [(a, b) for i, a in enumerate(singles) for b in singles[i + 1 :]]
    n_doubles = min(config.n_doubles, len(pairs))
    doubles = [pairs[i] for i in sorted(rng.choice(len(pairs), size=n_doubles, replace=False))]

    def shock(targets: tuple[int, ...]) -> np.ndarray:
        s = np.zeros(n)
        s[list(targets)] = config.knockdown
        return s

    deltas: dict[str, np.ndarray] = {CONTROL: np.zeros(n)}
    for g in singles:
        deltas[f"{genes[g]}+ctrl"] = propagate(w, shock((g,)), config.hops)
    interacting = []
    for a, b in doubles:
        name = f"{genes[a]}+{genes[b]}"
        delta = propagate(w, shock((a, b)), config.hops)
        if rng.random() < config.interaction_rate:
            moved = np.flatnonzero((np.abs(deltas[f"{genes[a]}+ctrl"]) > 1e-9)
                                   | (np.abs(deltas[f"{genes[b]}+ctrl"]) > 1e-9))  # fmt: skip
            extra = np.zeros(n)
            extra[moved] = rng.choice([-1.0, 1.0], size=len(moved)) * rng.uniform(
                0.5, 1.0, len(moved)
            )
            delta = delta + config.interaction_strength * extra
            interacting.append(name)
        deltas[name] = delta

    mu = np.exp(rng.normal(config.mean_log_expression, 1.0, size=n))
    blocks, labels = [], []
    for name, delta in deltas.items():
        n_cells = config.control_cells if name == CONTROL else config.cells_per_condition
        size_factor = rng.lognormal(0.0, 0.2, size=(n_cells, 1))
        mean = size_factor * mu * np.exp(delta)
        p = config.dispersion / (config.dispersion + mean)
        counts = rng.negative_binomial(config.dispersion, p)
        counts[rng.random(counts.shape) < config.dropout] = 0
        blocks.append(counts)
        labels += [name] * n_cells

    adata = ad.AnnData(
        X=sp.csr_matrix(np.vstack(blocks).astype(np.float32)),
        obs=pd.DataFrame({"condition": pd.Categorical(labels)},
                         index=[f"cell{i}" for i in range(len(labels))]),
        var=pd.DataFrame({"gene_symbol": genes}, index=genes),
    )  # fmt: skip
    adata.uns["simulation"] = {k: v for k, v in asdict(config).items()}
    adata.uns["simulation"]["interacting_doubles"] = interacting
    coo = w.tocoo()
    network = pd.DataFrame(
        {"regulator": [genes[i] for i in coo.row], "target": [genes[j] for j in coo.col],
         "weight": coo.data}
    ).sort_values(["regulator", "target"], ignore_index=True)  # fmt: skip
    frame = pd.DataFrame(np.vstack(list(deltas.values())), index=list(deltas), columns=genes)
    return Simulation(adata, network, frame, config, interacting)


def save(simulation: Simulation, out: str | Path) -> dict[str, Path]:
    """Write ``<out>.h5ad``, ``<out>.network.tsv`` and ``<out>.deltas.tsv``; return the paths."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.with_suffix("") if out.suffix == ".h5ad" else out
    paths = {
        "adata": stem.with_suffix(".h5ad"),
        "network": Path(f"{stem}.network.tsv"),
        "deltas": Path(f"{stem}.deltas.tsv"),
    }
    simulation.adata.write_h5ad(paths["adata"])
    simulation.network.to_csv(paths["network"], sep="\t", index=False)
    simulation.deltas.to_csv(paths["deltas"], sep="\t")
    return paths
