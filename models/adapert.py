"""AdaPert-style model: perturbation-conditioned sparse subgraphs of the knowledge graph, beside
a dense response, against mean collapse.

After Piao et al. 2026, *Learning Adaptive Perturbation-Conditioned Contexts for Robust
Transcriptional Response Prediction* (arXiv 2602.18885). From the paper (abstract, Figure 1 and
its summary; the method section was not available to us): the model learns a
*perturbation-specific subgraph* of a biological knowledge graph (the paper uses a
protein-protein interaction graph, here the GO graph around the targets, co-expression and
GenePT neighbours), because a dense, static graph propagates noise; *sparsity* is modelled
explicitly; training separates true signal from noise with DEG-aware weighting; the failure it
targets is *mean collapse* (predicted changes shrink to the average response, large effects are
under-estimated); it is judged on Pearson-Δ, PDS and DEG metrics (DES), which
:mod:`priorgraph.models.metrics` reports. The formulas below are our design.

Notation: ``G`` expression genes, ``P`` perturbation genes (the nodes of the GO prior export,
measured or not), ``S`` the target set of a perturbation, ``r`` the GO-refined
perturbation-gene embeddings (:class:`~priorgraph.models.layers.PerturbationEncoder`),
``p_S = MLP(Σ_{t∈S} r_t)`` the perturbation embedding, ``g`` the gene embeddings (+ projected
GenePT features).

**Entries: where a target's shock reaches the measured genes** (:meth:`AdaPert.entries`). A
measured target enters at itself (``π = 1``, ``d = 0``: knocking a gene down or up changes it
first; its neighbours are reached by the propagation below), unless no pool edge leaves it (a
knocked-out gene is often co-expressed with nothing), in which case it is treated as if
unmeasured. A target nobody measured enters at the measured genes nearest to it in the
knowledge graph: the GO prior spans the GO neighbourhood of every target over the whole
annotated universe, so the measured genes within
``entry_hops`` steps of ``t`` are reached through genes nobody measured, each with its hop
distance ``d_tv`` and path weight ``π_tv`` (the largest product of Jaccard weights along a
path); with GenePT vectors, its ``knn_entries`` most similar measured genes (cosine ``c_tv``)
are entries too; at most ``max_entries`` of them, largest ``π + c`` first. A target with no
entry at all (no GO annotation, no vector) gets every measured gene as a candidate entry (flag
``f_t = 1``): the gates, not the graph, choose where it enters.

**Candidate subgraph of S.** Its entry edges ``t → v`` (``t ∈ S``, ``v`` an entry of ``t``) and the
pool edges leaving genes within ``hops - 1`` pool steps of its entry genes (everything a
``hops``-round propagation can use). The pool is the union of the GO prior (mapped onto measured
genes), the co-expression export and, when given, GenePT k-NN edges (:func:`knn_edges`),
symmetrised, without self-loops; each pool edge carries its signed weight in each source,
``a_e = (w_go, r_coexp, cos_knn)`` (0 where absent): a negative r tells the gate that the genes
move in opposite directions (:func:`candidate_pool`).

**Gates** (hard concrete / L0, Louizos, Welling & Kingma 2018), one per candidate edge and
perturbation::

    entry t → v:  [log α, ρ] = MLP_in([p_S, r_t, g_v, π_tv, d_tv / entry_hops, c_tv, f_t])
    pool  u → v:  [log α, ρ] = MLP_pool([p_S, g_u, g_v, a_e]) + b_e   (b_e: learned per edge)
    train:  s = σ((log U - log(1 - U) + log α) / β),  U ~ Uniform(0, 1);   eval:  s = σ(log α)
    z = min(1, max(0, s (ζ - γ) + γ))                  β = 2/3, γ = -0.1, ζ = 1.1
    E[L0] = mean P(z ≠ 0) = mean σ(log α - β log(-γ / ζ))

``z`` is exactly 0 or 1 with non-zero probability (true sparsity) yet differentiable in
``log α``.

**Sparse path.** The shock enters through the gated entry edges, then ``hops`` rounds of signed,
gated message passing over the pool edges, and a gene-specific bilinear read-out::

    h⁰_v = Σ_{t∈S, t→v} z_tv tanh(ρ_tv) MLP_seed([p_S, r_t])
    h^{l+1}_v = h^l_v + tanh(Σ_{u→v} z_e tanh(ρ_e) W_l h^l_u)
    Δ^sparse_v = ⟨h^L_v, R g_v + r_0⟩

**Dense path.** Every perturbation moves every gene through a low-rank response of its
embedding, so an unmeasured target (whose ``p_S`` comes from its GO neighbourhood) moves genes
even where its subgraph is empty or its gates are shut. Its rank ``k`` (``dense_rank``) is small:
a few shared response programmes, while the gene-specific part of a response has to come
through the sparse path (with a full-rank dense path the gates close: the dense path fits
everything without the gates' sampling noise)::

    Δ^dense_v = ⟨MLP_dense(p_S), Q g_v + q_0⟩  (both in R^k),        Δ̂ = Δ^dense + Δ^sparse

**DEG-aware loss** (:func:`deg_aware_loss`), with ``μ`` the mean training delta and ``M`` the
scored genes (all, or those non-zero in the condition)::

    w_g = 1 + κ |Δ_g| / mean_{g∈M} |Δ_g|                   (weights the DE genes up)
    L = Σ_{g∈M} w_g (Δ̂_g - Δ_g)² / Σ_{g∈M} w_g + λ_c (1 - corr_M(Δ̂ - μ, Δ - μ)) + λ_0 E[L0]

``corr_M`` is the Pearson correlation over the genes of ``M`` only. The three parts are the loss
terms ``mse``, ``centered`` and ``l0`` (:meth:`AdaPert.loss_terms`). The centred correlation term
scores only the perturbation-specific part of the response: predicting ``μ`` gives
``Δ̂ - μ = 0``, correlation 0, the maximal penalty; it is what keeps the dense path from
collapsing onto the mean.

**Learned edges** (:meth:`AdaPert.learned_edges`): a perturbation's candidate edges whose
deterministic gate passes a threshold, ranked by their *flow*, the size of the message the edge
carries (``‖z tanh(ρ) MLP_seed(…)‖`` for an entry, ``max_l ‖z_e tanh(ρ_e) W_l h^l_u‖`` for a
pool edge), not by the gate alone: an open gate out of a gene the perturbation does not reach
carries nothing. The gate parameters train at their own learning rate (``gate_lr``,
:meth:`AdaPert.parameter_groups`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor, nn
from torch_geometric.utils import scatter

from priorgraph.models.base import Batch, PerturbationModel
from priorgraph.models.layers import PerturbationEncoder, mlp, pool_perturbations
from priorgraph.models.runtime import evaluating

GATE_LOW = -0.1  # γ
GATE_HIGH = 1.1  # ζ
ENTRY_ATTRIBUTES = 4  # (π, d / entry_hops, c, f) of an entry edge


def hard_concrete(
    log_alpha: Tensor,
    beta: float = 2 / 3,
    training: bool = True,
    low: float = GATE_LOW,
    high: float = GATE_HIGH,
    uniform: Tensor | None = None,
) -> Tensor:
    """Gate values ``z`` in [0, 1]: a stretched, clipped concrete sample, or (eval) its
    deterministic estimate ``min(1, max(0, σ(log α)(ζ - γ) + γ))``."""
    if training:
        u = torch.rand_like(log_alpha) if uniform is None else uniform
        u = u.clamp(1e-6, 1 - 1e-6)
        s = torch.sigmoid((torch.log(u) - torch.log1p(-u) + log_alpha) / beta)
    else:
        s = torch.sigmoid(log_alpha)
    return (s * (high - low) + low).clamp(0.0, 1.0)


def expected_l0(
    log_alpha: Tensor, beta: float = 2 / 3, low: float = GATE_LOW, high: float = GATE_HIGH
) -> Tensor:
    """``P(z ≠ 0) = σ(log α - β log(-γ/ζ))`` per gate."""
    return torch.sigmoid(log_alpha - beta * math.log(-low / high))


def _pearson_rows(a: Tensor, b: Tensor, weight: Tensor, eps: float = 1e-8) -> Tensor:
    """Pearson correlation of each row of ``a`` and ``b`` over the columns where ``weight`` is 1
    (``weight`` 0/1: the other columns take no part, not even in the means)."""
    n = weight.sum(1, keepdim=True).clamp(min=1.0)
    a = (a - (a * weight).sum(1, keepdim=True) / n) * weight
    b = (b - (b * weight).sum(1, keepdim=True) / n) * weight
    return (a * b).sum(1) / ((a.square().sum(1) * b.square().sum(1)).sqrt() + eps)


def deg_aware_loss_terms(
    pred: Tensor,
    target: Tensor,
    *,
    reference: Tensor,
    mask: Tensor | None = None,
    kappa: float = 1.0,
    centered_lambda: float = 0.5,
) -> dict[str, Tensor]:
    """The DEG-weighted squared error and the centred-correlation penalty, batch means.

    Parameters
    ----------
    pred, target
        ``(B, G)`` predicted and true deltas.
    reference
        ``(G,)`` the training-mean delta ``μ``.
    mask
        ``(B, G)`` the scored genes (None: all); both terms use only these.
    kappa
        κ, how much the DE genes are weighted up.
    centered_lambda
        λ_c, the weight of the centred term (included in its value).

    Returns
    -------
    ``{"mse": …, "centered": λ_c mean(1 - corr_M(pred - μ, target - μ))}``; see the module
    docstring.
    """
    keep = torch.ones_like(pred) if mask is None else mask.to(pred.dtype)
    size = target.abs() * keep
    scale = size.sum(1, keepdim=True) / keep.sum(1, keepdim=True).clamp(min=1.0)
    weight = (1.0 + kappa * size / (scale + 1e-8)) * keep
    mse = (weight * (pred - target).square()).sum(1) / weight.sum(1).clamp(min=1e-8)
    centered = 1.0 - _pearson_rows(pred - reference, target - reference, keep)
    return {"mse": mse.mean(), "centered": centered_lambda * centered.mean()}


def deg_aware_loss(pred: Tensor, target: Tensor, **options: object) -> Tensor:
    """The DEG-aware loss: the sum of :func:`deg_aware_loss_terms` (same keyword options)."""
    terms = deg_aware_loss_terms(pred, target, **options)
    return terms["mse"] + terms["centered"]


def knn_edges(features: Tensor, k: int, *, present: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Cosine k-nearest-neighbour graph of gene features: ``(2, E)`` edges and similarities.

    Each gene gets its ``k`` most similar other genes as sources (``src → gene``). ``present``
    ``(G,)`` bool marks the genes that have a feature vector; the others (rows filled with zeros
    or a mean) take no part: they get no neighbours and are nobody's neighbour.
    """
    device = features.device
    keep = torch.ones(len(features), dtype=torch.bool) if present is None else present.bool()
    rows = torch.nonzero(keep.to(device)).flatten()
    unit = nn.functional.normalize(features.float()[rows], dim=1)
    sim = unit @ unit.T
    sim.fill_diagonal_(-float("inf"))
    k = min(k, len(rows) - 1)
    if k < 1:
        return torch.zeros(2, 0, dtype=torch.long, device=device), torch.zeros(0, device=device)
    weight, nbr = sim.topk(k, dim=1)
    src = rows[nbr.reshape(-1)]
    dst = rows.repeat_interleave(k)
    return torch.stack([src, dst]), weight.reshape(-1)


def candidate_pool(
    n_genes: int, sources: Sequence[tuple[Tensor, Tensor] | None]
) -> tuple[Tensor, Tensor]:
    """Union of edge sets over the genes, symmetrised, self-loops dropped.

    Returns ``(2, E)`` edges sorted by ``(src, dst)`` and ``(E, len(sources))`` attributes: the
    signed weight of the edge in each source, 0 where absent. An edge listed more than once in a
    source keeps the weight of largest magnitude, with its sign.
    """
    keys, cols, weights = [], [], []
    for column, edges in enumerate(sources):
        if edges is None:
            continue
        index, weight = edges
        u, v = index.long()
        keep = u != v
        u, v, w = u[keep], v[keep], weight.float()[keep]
        keys += [u * n_genes + v, v * n_genes + u]
        weights += [w, w]
        cols += [torch.full_like(u, column)] * 2
    if not keys:
        return torch.zeros(2, 0, dtype=torch.long), torch.zeros(0, len(sources))
    key, inverse = torch.unique(torch.cat(keys), return_inverse=True)
    flat = inverse * len(sources) + torch.cat(cols)
    values = torch.cat(weights)
    size = len(key) * len(sources)
    high = torch.zeros(size).scatter_reduce(0, flat, values, reduce="amax", include_self=False)
    low = torch.zeros(size).scatter_reduce(0, flat, values, reduce="amin", include_self=False)
    attr = torch.where(high.abs() >= low.abs(), high, low).view(len(key), len(sources))
    return torch.stack([key // n_genes, key % n_genes]), attr


@dataclass
class AdaPertConfig:
    """Hyper-parameters of :class:`AdaPert`."""

    hidden: int = 32
    hops: int = 2  # pool message-passing rounds (and candidate radius)
    entry_hops: int = 2  # GO steps from a target to the measured genes it may enter at
    max_entries: int = 16  # entries kept per target (largest path weight + cosine first)
    knn_entries: int = 5  # GenePT-nearest measured genes added to a target's entries
    dense_rank: int = 4  # rank of the dense response path (0: sparse path only)
    go_layers: int = 1
    embedding_init: float = 0.1  # scale of the initial perturbation-gene embeddings
    beta: float = 2 / 3  # hard-concrete temperature
    init_log_alpha: float = 1.0  # gates start mostly open (σ(1) ≈ 0.73)
    l0_lambda: float = 0.01  # λ_0
    kappa: float = 1.0  # DE weighting
    centered_lambda: float = 0.5  # λ_c
    nonzero_only: bool = False
    gate_lr: float | None = None  # learning rate of the gate parameters (None: the global one)
    l0_warmup: float = 0.0  # fraction of the training rounds at λ_0 = 0 before it ramps up
    l0_ramp: float = 0.0  # fraction of the rounds over which λ_0 rises linearly to l0_lambda


ENTRY = "entry"  # edge kinds of a subgraph: target → measured gene ...
POOL = "pool"  # ... and measured gene → measured gene


@dataclass(frozen=True)
class SubgraphEdge:
    """One candidate edge of a perturbation's subgraph: ``kind`` ``entry`` (``source`` is a row
    of the perturbation-gene index, a target) or ``pool`` (``source`` is an expression-gene
    row); ``target`` is an expression-gene row; the deterministic gate and the flow."""

    kind: str
    source: int
    target: int
    gate: float
    flow: float


@dataclass
class Entries:
    """Entry genes (expression rows) of one perturbation gene and their attributes
    ``(π, d / entry_hops, c, f)`` (module doc)."""

    genes: Tensor
    attr: Tensor


def go_paths(adjacency: sp.csr_matrix, source: int, hops: int) -> dict[int, tuple[int, float]]:
    """Nodes within ``hops`` steps of ``source`` on a weighted graph: node → (hop distance, the
    largest product of edge weights along a path of at most ``hops`` steps); ``source`` itself
    is (0, 1.0)."""
    best = {source: (0, 1.0)}
    frontier = {source: 1.0}
    for step in range(1, hops + 1):
        reached: dict[int, float] = {}
        for node, weight in frontier.items():
            lo, hi = adjacency.indptr[node], adjacency.indptr[node + 1]
            for other, w in zip(adjacency.indices[lo:hi], adjacency.data[lo:hi], strict=True):
                product = weight * float(w)
                if product > best.get(int(other), (0, 0.0))[1]:
                    reached[int(other)] = max(product, reached.get(int(other), 0.0))
        for node, weight in reached.items():
            best[node] = (best.get(node, (step, 0.0))[0], weight)
        frontier = reached
    return best


class AdaPert(PerturbationModel):
    """AdaPert-style model: ``forward(perts (B, K)) -> (B, G)`` predicted change from control.

    Inputs (from priorgraph exports, by keyword): ``n_genes`` expression genes; ``go_edge_index``
    / ``go_edge_weight`` the GO prior over the perturbation index (``n_perts`` nodes, measured
    or not); ``coexp_edge_index`` / ``coexp_edge_weight`` the co-expression graph over the genes
    (signed r: the sign reaches the gates through the pool attributes); ``pert_to_gene``
    ``(P,)`` expression row of each perturbation gene (-1 if unmeasured); ``knn_edge_index`` /
    ``knn_edge_weight`` optional GenePT k-NN edges over the genes (:func:`knn_edges`);
    ``gene_features`` ``(G, F)`` / ``pert_features`` ``(P, F)`` optional GenePT vectors (zero
    rows: no vector); ``mean_delta`` ``(G,)`` the training-mean delta ``μ`` of the loss.
    """

    name = "adapert"
    config_class = AdaPertConfig

    def __init__(
        self,
        *,
        n_genes: int,
        n_perts: int,
        go_edge_index: Tensor,
        go_edge_weight: Tensor,
        coexp_edge_index: Tensor,
        coexp_edge_weight: Tensor,
        pert_to_gene: Tensor,
        knn_edge_index: Tensor | None = None,
        knn_edge_weight: Tensor | None = None,
        gene_features: Tensor | None = None,
        pert_features: Tensor | None = None,
        mean_delta: Tensor | None = None,
        config: AdaPertConfig | None = None,
    ) -> None:
        super().__init__()
        self.config = config = config or AdaPertConfig()
        self.n_genes, self.n_perts = n_genes, n_perts
        h = config.hidden
        pert_to_gene = pert_to_gene.long()
        go_edge_index, go_edge_weight = go_edge_index.long(), go_edge_weight.float()
        self.register_buffer("go_edge_index", go_edge_index)
        self.register_buffer("go_edge_weight", go_edge_weight)
        self.register_buffer("pert_to_gene", pert_to_gene)
        mapped = pert_to_gene[go_edge_index]
        on_genes = (mapped >= 0).all(0)
        knn = (knn_edge_index, knn_edge_weight) if knn_edge_index is not None else None
        if knn is not None and knn_edge_weight is None:
            knn = (knn_edge_index, torch.ones(knn_edge_index.shape[1]))
        pool, attr = candidate_pool(
            n_genes,
            [(mapped[:, on_genes], go_edge_weight[on_genes]),
             (coexp_edge_index, coexp_edge_weight), knn],
        )  # fmt: skip
        self.register_buffer("pool_edge_index", pool)
        self.register_buffer("pool_edge_attr", attr)
        self.register_buffer("mean_delta", (
            mean_delta.float() if mean_delta is not None else torch.zeros(n_genes)))  # fmt: skip
        for name, value in (("gene_features", gene_features), ("pert_features", pert_features)):
            self.register_buffer(name, value.float() if value is not None else None)
        src, dst = go_edge_index.numpy()
        keep = src != dst
        symmetric = sp.coo_matrix((go_edge_weight.numpy()[keep], (src[keep], dst[keep])),
                                  shape=(n_perts, n_perts)).tocsr()  # fmt: skip
        self._go_adjacency = symmetric.maximum(symmetric.T).tocsr()
        self._entries: dict[int, Entries] = {}
        self._candidates: dict[tuple[tuple[int, ...], str], Tensor] = {}

        self.gene_emb = nn.Parameter(torch.randn(n_genes, h) * 0.1)
        self.gene_proj = nn.Linear(gene_features.shape[1], h) if gene_features is not None else None
        self.perturbations = PerturbationEncoder(
            n_perts=n_perts, hidden=h, depth=config.go_layers,
            feature_dim=pert_features.shape[1] if pert_features is not None else None,
            init=config.embedding_init,
        )  # fmt: skip
        self.pert_fuse = mlp([h, h, h], last_relu=True)
        self.entry_mlp = mlp([3 * h + ENTRY_ATTRIBUTES, h, 2])
        self.edge_mlp = mlp([3 * h + attr.shape[1], h, 2])
        self.edge_bias = nn.Parameter(torch.zeros(pool.shape[1], 2))
        with torch.no_grad():
            for gate in (self.entry_mlp, self.edge_mlp):
                gate[-1].bias.copy_(torch.tensor([config.init_log_alpha, 1.0]))
        self.seed_mlp = mlp([2 * h, h, h])
        self.messages = nn.ModuleList(nn.Linear(h, h, bias=False) for _ in range(config.hops))
        self.readout = nn.Linear(h, h)
        k = config.dense_rank
        self.dense_mlp = mlp([h, h, k]) if k else None
        self.dense_readout = nn.Linear(h, k) if k else None
        self.l0_scale = 1.0  # set per round by :meth:`on_round` (λ_0 schedule)

    # -- training hooks (called by :func:`priorgraph.models.train.fit`) ---------------------
    def parameter_groups(self, lr: float) -> list[dict[str, Any]]:
        """Optimiser groups: the gate parameters (gate MLPs, per-edge offsets) at ``gate_lr``
        (default: the global rate).

        A faster gate rate closes every gate: Adam normalises each parameter's step, so the
        small but constant L0 gradient on a per-edge offset moves it as fast as a fit gradient
        would, and where the dense path already fits the response nothing opposes it (at
        ``gate_lr = 0.02`` on the Norman subset: no open gate at all in most folds). At the
        global rate the gates close where the data give them nothing to carry, per
        perturbation.
        """
        gate = [self.edge_bias, *self.edge_mlp.parameters(), *self.entry_mlp.parameters()]
        ids = {id(p) for p in gate}
        rest = [p for p in self.parameters() if id(p) not in ids]
        return [{"params": rest}, {"params": gate, "lr": self.config.gate_lr or lr}]

    def on_round(self, round_: int, rounds: int) -> None:
        """λ_0 schedule: 0 for the first ``l0_warmup`` of the rounds (fit the response with all
        gates open), then a linear ramp to ``l0_lambda`` over ``l0_ramp`` of them."""
        c = self.config
        start, ramp = c.l0_warmup * rounds, c.l0_ramp * rounds
        if round_ < start:
            self.l0_scale = 0.0
        else:
            self.l0_scale = min(1.0, (round_ - start + 1) / ramp) if ramp > 0 else 1.0

    # -- embeddings, entries and candidate subgraphs ----------------------------------------
    def gene_embeddings(self) -> Tensor:
        """``g`` ``(G, H)``."""
        g = self.gene_emb
        return g + self.gene_proj(self.gene_features) if self.gene_proj is not None else g

    def perturbation_embeddings(self) -> Tensor:
        """``r`` ``(P, H)``: perturbation-gene embeddings refined on the GO graph."""
        return self.perturbations(self.go_edge_index, self.go_edge_weight, self.pert_features)

    def entries(self, target: int) -> Entries:
        """Where the shock of perturbation gene ``target`` enters the measured genes (module
        doc), cached; attributes ``(π, d / entry_hops, c, f)``."""
        if target not in self._entries:
            self._entries[target] = self._find_entries(target)
        found = self._entries[target]
        device = self.pert_to_gene.device
        return Entries(found.genes.to(device), found.attr.to(device))

    def _find_entries(self, target: int) -> Entries:
        c = self.config
        rows = self.pert_to_gene.cpu()
        own = int(rows[target])
        if own >= 0 and bool((self.pool_edge_index[0] == own).any()):
            # measured, with pool edges to carry the shock on: it enters at the target itself
            return Entries(torch.tensor([own]), torch.tensor([[1.0, 0.0, 0.0, 0.0]]))
        found: dict[int, list[float]] = {}
        for node, (hops, weight) in go_paths(self._go_adjacency, target, c.entry_hops).items():
            if rows[node] >= 0:
                found[int(rows[node])] = [weight, hops / max(c.entry_hops, 1), 0.0, 0.0]
        for gene, cosine in self._nearest_genes(target):
            found.setdefault(gene, [0.0, 0.0, 0.0, 0.0])[2] = cosine
        if found:
            ranked = sorted(found, key=lambda g: (-(found[g][0] + found[g][2]), g))
            genes = ranked[: c.max_entries]
            attr = [found[g] for g in genes]
        else:  # no path in the graph: every measured gene may be an entry, the gates choose
            genes = list(range(self.n_genes))
            attr = [[0.0, 0.0, 0.0, 1.0]] * self.n_genes
        return Entries(torch.tensor(genes, dtype=torch.long), torch.tensor(attr))

    def _nearest_genes(self, target: int) -> list[tuple[int, float]]:
        """The ``knn_entries`` measured genes whose GenePT vector is closest (cosine) to the
        target's, other than the target itself (none without vectors)."""
        if self.pert_features is None or self.gene_features is None or not self.config.knn_entries:
            return []
        vector = self.pert_features[target].cpu()
        genes = self.gene_features.cpu()
        present = genes.norm(dim=1) > 0
        own = int(self.pert_to_gene[target])
        if own >= 0:
            present[own] = False
        if vector.norm() == 0 or not present.any():
            return []
        cosine = nn.functional.normalize(genes, dim=1) @ nn.functional.normalize(vector, dim=0)
        cosine[~present] = -float("inf")
        k = min(self.config.knn_entries, int(present.sum()))
        values, rows = cosine.topk(k)
        return [(int(g), float(v)) for g, v in zip(rows, values, strict=True)]

    def candidates(self, targets: Sequence[int]) -> Tensor:
        """Pool edge ids of a perturbation: the edges leaving genes within ``hops - 1`` pool
        steps of its entry genes (cached per target set and device)."""
        key = (tuple(sorted(targets)), str(self.pool_edge_index.device))
        if key not in self._candidates:
            src, dst = self.pool_edge_index
            reach = torch.zeros(self.n_genes, dtype=torch.bool, device=src.device)
            for t in key[0]:
                reach[self.entries(t).genes] = True
            for _ in range(self.config.hops - 1):
                reach = reach.index_fill(0, dst[reach[src]], True)
            self._candidates[key] = torch.nonzero(reach[src]).flatten()
        return self._candidates[key]

    # -- gates and propagation --------------------------------------------------------------
    def _gates(self, perts: Tensor) -> dict[str, Tensor]:
        """Every sample's entry and pool candidates with their ``log α`` and ``ρ``."""
        r = self.perturbation_embeddings()
        p = self.pert_fuse(pool_perturbations(r, perts))
        g = self.gene_embeddings()
        sample, edge, in_sample, in_target, in_gene, in_attr = [], [], [], [], [], []
        for b, row in enumerate(perts.tolist()):
            targets = [t for t in row if t >= 0]
            ids = self.candidates(targets)
            sample.append(torch.full_like(ids, b))
            edge.append(ids)
            for t in targets:
                entries = self.entries(t)
                in_sample.append(torch.full_like(entries.genes, b))
                in_target.append(torch.full_like(entries.genes, t))
                in_gene.append(entries.genes)
                in_attr.append(entries.attr)
        empty = torch.zeros(0, dtype=torch.long, device=perts.device)
        sample, edge = torch.cat([empty, *sample]), torch.cat([empty, *edge])
        in_sample, in_target = torch.cat([empty, *in_sample]), torch.cat([empty, *in_target])
        in_gene = torch.cat([empty, *in_gene])
        in_attr = torch.cat([p.new_zeros(0, ENTRY_ATTRIBUTES), *in_attr])
        src, dst = self.pool_edge_index[:, edge]
        pool = self.edge_mlp(torch.cat([p[sample], g[src], g[dst], self.pool_edge_attr[edge]], 1))
        pool = pool + self.edge_bias[edge]
        entry = self.entry_mlp(torch.cat([p[in_sample], r[in_target], g[in_gene], in_attr], 1))
        return {
            "p": p, "r": r, "g": g,
            "sample": sample, "edge": edge, "log_alpha": pool[:, 0], "rho": pool[:, 1],
            "in_sample": in_sample, "in_target": in_target, "in_gene": in_gene,
            "in_log_alpha": entry[:, 0], "in_rho": entry[:, 1],
        }  # fmt: skip

    def _propagate(self, perts: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """Predicted deltas and the gate dict of :meth:`_gates`, with every candidate's flow
        (``in_flow``, ``flow``)."""
        n, b = self.n_genes, len(perts)
        gates = self._gates(perts)
        p, r, g = gates["p"], gates["r"], gates["g"]
        z_in = hard_concrete(gates["in_log_alpha"], self.config.beta, self.training)
        seed = self.seed_mlp(torch.cat([p[gates["in_sample"]], r[gates["in_target"]]], 1))
        seed = (z_in * torch.tanh(gates["in_rho"])).unsqueeze(-1) * seed
        gates["in_flow"] = seed.detach().norm(dim=1)
        h = scatter(seed, gates["in_sample"] * n + gates["in_gene"], dim=0, dim_size=b * n,
                    reduce="sum")  # fmt: skip
        z = hard_concrete(gates["log_alpha"], self.config.beta, self.training)
        coef = (z * torch.tanh(gates["rho"])).unsqueeze(-1)
        src, dst = self.pool_edge_index[:, gates["edge"]]
        src, dst = gates["sample"] * n + src, gates["sample"] * n + dst
        flow = torch.zeros_like(z)
        for layer in self.messages:
            message = coef * layer(h[src])
            flow = torch.maximum(flow, message.detach().norm(dim=1))
            h = h + torch.tanh(scatter(message, dst, 0, dim_size=b * n, reduce="sum"))
        gates["flow"] = flow
        delta = (h.view(b, n, -1) * self.readout(g)).sum(-1)
        if self.dense_mlp is not None and self.dense_readout is not None:
            delta = delta + self.dense_mlp(p) @ self.dense_readout(g).T
        return delta, gates

    def forward(self, perts: Tensor) -> Tensor:
        """``perts`` ``(B, K)`` rows of the perturbation index (-1 padded) → ``(B, G)`` deltas."""
        return self._propagate(perts)[0]

    def loss_terms(self, batch: Batch) -> dict[str, Tensor]:
        """:func:`deg_aware_loss_terms` (``mse``, ``centered``) and ``l0``: ``λ_0`` (on its
        schedule) × the expected L0 of the gates of the batch's distinct perturbations."""
        c = self.config
        unique, inverse = torch.unique(batch.perts, dim=0, return_inverse=True)
        pred, gates = self._propagate(unique)
        terms = deg_aware_loss_terms(
            pred[inverse],
            batch.target,
            reference=self.mean_delta,
            mask=batch.mask if c.nonzero_only else None,
            kappa=c.kappa,
            centered_lambda=c.centered_lambda,
        )
        log_alpha = torch.cat([gates["in_log_alpha"], gates["log_alpha"]])
        l0 = expected_l0(log_alpha, c.beta).mean() if len(log_alpha) else pred.new_zeros(())
        return {**terms, "l0": c.l0_lambda * self.l0_scale * l0}

    # -- learned subgraphs ------------------------------------------------------------------
    @torch.no_grad()
    def subgraph(self, perturbation: Sequence[int]) -> list[SubgraphEdge]:
        """Every candidate edge of a perturbation (rows of the perturbation index), entries
        first, with its deterministic gate and its flow (eval mode; the model is given back
        in the mode it was in)."""
        perts = torch.tensor([list(perturbation)], device=self.pool_edge_index.device)
        with evaluating(self):
            _, gates = self._propagate(perts)

        def gate(log_alpha: Tensor) -> list[float]:
            return hard_concrete(log_alpha, training=False).tolist()

        edges = [SubgraphEdge(ENTRY, int(t), int(v), z, f) for t, v, z, f in zip(
            gates["in_target"].tolist(), gates["in_gene"].tolist(), gate(gates["in_log_alpha"]),
            gates["in_flow"].tolist(), strict=True)]  # fmt: skip
        src, dst = self.pool_edge_index[:, gates["edge"]].tolist()
        edges += [SubgraphEdge(POOL, u, v, z, f) for u, v, z, f in zip(
            src, dst, gate(gates["log_alpha"]), gates["flow"].tolist(), strict=True)]  # fmt: skip
        return edges

    def learned_edges(
        self, perturbation: Sequence[int], threshold: float = 0.5
    ) -> list[SubgraphEdge]:
        """The perturbation's candidate edges whose deterministic gate
        ``min(1, max(0, σ(log α)(ζ-γ)+γ))`` is ≥ ``threshold``, largest flow first (for
        write-back as LEARNED_EDGE)."""
        kept = [e for e in self.subgraph(perturbation) if e.gate >= threshold]
        return sorted(kept, key=lambda e: (-e.flow, -e.gate, e.kind, e.source, e.target))


def edge_auprc(
    scored: Iterable[tuple[int, int, float]], truth: Iterable[tuple[int, int]]
) -> dict[str, float]:
    """AUPRC of scored candidate edges against true directed edges, with the random baseline.

    ``random`` is the positive rate among the candidates (the AUPRC of a random ranking);
    ``auprc`` is NaN when no candidate is a true edge.
    """
    from sklearn.metrics import average_precision_score

    true = set(truth)
    rows = list(scored)
    labels = np.array([(s, d) in true for s, d, _ in rows], dtype=bool)
    scores = np.array([w for _, _, w in rows], dtype=float)
    positives = int(labels.sum())
    return {
        "auprc": float(average_precision_score(labels, scores)) if positives else float("nan"),
        "random": positives / len(rows) if rows else float("nan"),
        "n_candidates": float(len(rows)),
        "n_positive": float(positives),
    }
