"""AdaPert-style model: perturbation-conditioned sparse subgraphs against mean collapse.

Each perturbation ``S`` (a set of target genes) gets its own subgraph of the prior graphs, gated
by the perturbation, and its effect is propagated from the targets over that subgraph only.

**Candidate edges.** The pool ``E`` is the union of the GO_SIMILAR export (mapped from the
perturbation index to expression genes), the COEXPRESSED export and, when given, GenePT k-NN
edges (:func:`knn_edges`, over the genes that have a vector), symmetrised, without self-loops;
each edge carries the weights it has in each source, ``a_e = (w_go, r_coexp, cos_knn)`` (0
where absent), signs kept: a negative co-expression r (or cosine) tells the gate MLP that the
genes move in opposite directions. The candidates of ``S`` are
the pool edges leaving genes within ``hops - 1`` hops of its seeds (the targets, or for a target
that is not measured, its GO neighbours), i.e. everything a ``hops``-step propagation can use.

**Gates** (hard concrete / L0, Louizos, Welling & Kingma 2018). For candidate ``e = u → v``::

    [log α_e, ρ_e] = MLP([p_S, g_u, g_v, a_e]) + b_e        (b_e: a learned per-edge offset)
    train:  s = σ((log U - log(1 - U) + log α_e) / β),  U ~ Uniform(0, 1)
    eval:   s = σ(log α_e)
    z_e = min(1, max(0, s (ζ - γ) + γ))                    β = 2/3, γ = -0.1, ζ = 1.1
    E[L0] = mean_e P(z_e ≠ 0) = mean_e σ(log α_e - β log(-γ / ζ))

``z`` is exactly 0 or 1 with non-zero probability (true sparsity) yet differentiable in
``log α``; ``p_S = MLP(Σ_{t∈S} r_t)`` is the perturbation embedding, ``r`` the GO-refined
perturbation-gene embeddings, ``g`` the gene embeddings (+ projected GenePT features).

**Propagation.** States start at zero except on the seeds, ``h⁰_v = MLP_seed([p_S, r_t])``; then
``hops`` rounds of signed, gated message passing and a gene-specific bilinear read-out::

    h^{l+1}_v = h^l_v + tanh(Σ_{u→v} z_e tanh(ρ_e) W_l h^l_u)
    Δ̂_v = ⟨h^L_v, R g_v + r_0⟩

A gene outside the perturbation's subgraph keeps ``h = 0`` and is predicted unchanged: the model
has no path to a shared average response.

**DEG-aware loss** (:func:`deg_aware_loss`), with ``μ`` the mean training delta and ``M`` the
scored genes (all, or those non-zero in the condition)::

    w_g = 1 + κ |Δ_g| / mean_{g∈M} |Δ_g|                   (weights the DE genes up)
    L = Σ_{g∈M} w_g (Δ̂_g - Δ_g)² / Σ_{g∈M} w_g + λ_c (1 - corr_M(Δ̂ - μ, Δ - μ)) + λ_0 E[L0]

``corr_M`` is the Pearson correlation over the genes of ``M`` only. The three parts are the loss
terms ``mse``, ``centered`` and ``l0`` (:meth:`AdaPert.loss_terms`).

**Learned edges.** Edges are ranked by their *flow* (:meth:`AdaPert.edge_flows`), the size of
the message routed over them, not by the gate alone; the gate parameters train at their own
learning rate (``gate_lr``, see :meth:`AdaPert.parameter_groups`).

The centred correlation term scores only the perturbation-specific part of the response:
predicting ``μ`` gives ``Δ̂ - μ = 0``, correlation 0, the maximal penalty.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch_geometric.utils import scatter

from priorgraph.models.base import Batch, PerturbationModel
from priorgraph.models.layers import PerturbationEncoder, mlp, pool_perturbations
from priorgraph.models.runtime import evaluating

GATE_LOW = -0.1  # γ
GATE_HIGH = 1.1  # ζ


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
    hops: int = 2  # candidate radius and message-passing rounds
    go_layers: int = 1
    beta: float = 2 / 3  # hard-concrete temperature
    init_log_alpha: float = 1.0  # gates start mostly open (σ(1) ≈ 0.73)
    l0_lambda: float = 0.01  # λ_0
    kappa: float = 1.0  # DE weighting
    centered_lambda: float = 0.5  # λ_c
    nonzero_only: bool = False
    gate_lr: float | None = 0.02  # learning rate of the gate parameters (None: the global one)
    l0_warmup: float = 0.0  # fraction of the training rounds at λ_0 = 0 before it ramps up
    l0_ramp: float = 0.0  # fraction of the rounds over which λ_0 rises linearly to l0_lambda


class AdaPert(PerturbationModel):
    """AdaPert-style model: ``forward(perts (B, K)) -> (B, G)`` predicted change from control.

    Inputs (from priorgraph exports, by keyword): ``n_genes`` expression genes; ``go_edge_index`` /
    ``go_edge_weight`` the GO graph over the perturbation index (``n_perts`` nodes);
    ``coexp_edge_index`` / ``coexp_edge_weight`` the co-expression graph over the genes (signed
    r: the sign reaches the gates through the pool attributes);
    ``pert_to_gene`` ``(P,)`` expression row of each perturbation gene (-1 if unmeasured);
    ``knn_edge_index`` / ``knn_edge_weight`` optional GenePT k-NN edges over the genes
    (:func:`knn_edges`); ``gene_features`` ``(G, F)`` / ``pert_features`` ``(P, F)`` optional
    GenePT vectors; ``mean_delta`` ``(G,)`` the training-mean delta ``μ`` of the loss.
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
        self.register_buffer("go_edge_index", go_edge_index.long())
        self.register_buffer("go_edge_weight", go_edge_weight.float())
        self.register_buffer("pert_to_gene", pert_to_gene)
        mapped = pert_to_gene[go_edge_index.long()]
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
        self._candidates: dict[tuple[tuple[int, ...], str], tuple[Tensor, Tensor]] = {}

        self.gene_emb = nn.Parameter(torch.randn(n_genes, h) * 0.1)
        self.gene_proj = nn.Linear(gene_features.shape[1], h) if gene_features is not None else None
        self.perturbations = PerturbationEncoder(
            n_perts=n_perts, hidden=h, depth=config.go_layers,
            feature_dim=pert_features.shape[1] if pert_features is not None else None,
        )  # fmt: skip
        self.pert_fuse = mlp([h, h, h], last_relu=True)
        self.edge_mlp = mlp([3 * h + attr.shape[1], h, 2])
        self.edge_bias = nn.Parameter(torch.zeros(pool.shape[1], 2))
        with torch.no_grad():
            self.edge_mlp[-1].bias.copy_(torch.tensor([config.init_log_alpha, 1.0]))
        self.seed_mlp = mlp([2 * h, h, h])
        self.messages = nn.ModuleList(nn.Linear(h, h, bias=False) for _ in range(config.hops))
        self.readout = nn.Linear(h, h)
        self.l0_scale = 1.0  # set per round by :meth:`on_round` (λ_0 schedule)

    # -- training hooks (called by :func:`priorgraph.models.train.fit`) ---------------------
    def parameter_groups(self, lr: float) -> list[dict[str, Any]]:
        """Optimiser groups: the gate parameters (edge MLP, per-edge offsets) at ``gate_lr``.

        A per-edge offset ``b_e`` gets one gradient per epoch from the few perturbations that
        make ``e`` a candidate; at the global rate it moves by ~lr per step, i.e. well below 1
        in ``log α`` over a whole fit, so the gates never leave their initial value.
        """
        gate = [self.edge_bias, *self.edge_mlp.parameters()]
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

    # -- embeddings and candidate subgraphs -------------------------------------------------
    def gene_embeddings(self) -> Tensor:
        """``g`` ``(G, H)``."""
        g = self.gene_emb
        return g + self.gene_proj(self.gene_features) if self.gene_proj is not None else g

    def perturbation_embeddings(self) -> Tensor:
        """``r`` ``(P, H)``: perturbation-gene embeddings refined on the GO graph."""
        return self.perturbations(self.go_edge_index, self.go_edge_weight, self.pert_features)

    def seeds(self, target: int) -> Tensor:
        """Expression genes where the shock of perturbation gene ``target`` enters."""
        gene = int(self.pert_to_gene[target])
        if gene >= 0:
            return torch.tensor([gene], device=self.pert_to_gene.device)
        src, dst = self.go_edge_index
        nbrs = self.pert_to_gene[torch.cat([src[dst == target], dst[src == target]])]
        return torch.unique(nbrs[nbrs >= 0])

    def candidates(self, targets: Sequence[int]) -> tuple[Tensor, Tensor]:
        """``(pool edge ids, seed genes)`` of a perturbation: edges leaving genes within
        ``hops - 1`` hops of the seeds (cached per target set and device)."""
        key = (tuple(sorted(targets)), str(self.pool_edge_index.device))
        if key not in self._candidates:
            empty = torch.zeros(0, dtype=torch.long, device=self.pool_edge_index.device)
            seeds = torch.unique(torch.cat([empty, *(self.seeds(t) for t in key[0])]))
            src, dst = self.pool_edge_index
            reach = torch.zeros(self.n_genes, dtype=torch.bool, device=src.device)
            reach[seeds] = True
            for _ in range(self.config.hops - 1):
                reach = reach.index_fill(0, dst[reach[src]], True)
            self._candidates[key] = (torch.nonzero(reach[src]).flatten(), seeds)
        return self._candidates[key]

    # -- gates and propagation --------------------------------------------------------------
    def _gates(self, perts: Tensor) -> dict[str, Tensor]:
        """Per candidate edge of every sample: sample id, pool edge id, log α, ρ; plus seeds."""
        r = self.perturbation_embeddings()
        p = self.pert_fuse(pool_perturbations(r, perts))
        g = self.gene_embeddings()
        sample, edge, seed_sample, seed_gene, seed_target = [], [], [], [], []
        for b, row in enumerate(perts.tolist()):
            targets = [t for t in row if t >= 0]
            ids, _ = self.candidates(targets)
            sample.append(torch.full_like(ids, b))
            edge.append(ids)
            for t in targets:
                genes = self.seeds(t)
                seed_sample.append(torch.full_like(genes, b))
                seed_gene.append(genes)
                seed_target.append(torch.full_like(genes, t))
        sample, edge = torch.cat(sample), torch.cat(edge)
        src, dst = self.pool_edge_index[:, edge]
        out = self.edge_mlp(torch.cat([p[sample], g[src], g[dst], self.pool_edge_attr[edge]], 1))
        out = out + self.edge_bias[edge]
        seed_sample, seed_target = torch.cat(seed_sample), torch.cat(seed_target)
        return {
            "sample": sample, "edge": edge, "log_alpha": out[:, 0], "rho": out[:, 1],
            "seed_sample": seed_sample, "seed_gene": torch.cat(seed_gene),
            "seed_state": self.seed_mlp(torch.cat([p[seed_sample], r[seed_target]], 1)),
            "genes": g,
        }  # fmt: skip

    def _forward(self, perts: Tensor) -> tuple[Tensor, Tensor]:
        """Predicted deltas ``(B, G)`` and the candidate edges' ``log α``."""
        pred, gates, _ = self._propagate(perts)
        return pred, gates["log_alpha"]

    def _propagate(self, perts: Tensor) -> tuple[Tensor, dict[str, Tensor], Tensor]:
        """Predicted deltas, the gate dict of :meth:`_gates` and each candidate edge's flow
        ``max_l ‖z_e tanh(ρ_e) W_l h^l_u‖`` (see :meth:`edge_flows`)."""
        n, b = self.n_genes, len(perts)
        gates = self._gates(perts)
        z = hard_concrete(gates["log_alpha"], self.config.beta, self.training)
        coef = (z * torch.tanh(gates["rho"])).unsqueeze(-1)
        src, dst = self.pool_edge_index[:, gates["edge"]]
        src, dst = gates["sample"] * n + src, gates["sample"] * n + dst
        seeds = gates["seed_sample"] * n + gates["seed_gene"]
        h = scatter(gates["seed_state"], seeds, dim=0, dim_size=b * n, reduce="sum")
        flow = torch.zeros_like(z)
        for layer in self.messages:
            message = coef * layer(h[src])
            flow = torch.maximum(flow, message.detach().norm(dim=1))
            h = h + torch.tanh(scatter(message, dst, 0, dim_size=b * n, reduce="sum"))
        read = self.readout(gates["genes"])  # (G, H)
        return (h.view(b, n, -1) * read).sum(-1), gates, flow

    def forward(self, perts: Tensor) -> Tensor:
        """``perts`` ``(B, K)`` rows of the perturbation index (-1 padded) → ``(B, G)`` deltas."""
        return self._forward(perts)[0]

    def loss_terms(self, batch: Batch) -> dict[str, Tensor]:
        """:func:`deg_aware_loss_terms` (``mse``, ``centered``) and ``l0``: ``λ_0`` (on its
        schedule) × the expected L0 of the batch's gates."""
        c = self.config
        pred, log_alpha = self._forward(batch.perts)
        terms = deg_aware_loss_terms(
            pred,
            batch.target,
            reference=self.mean_delta,
            mask=batch.mask if c.nonzero_only else None,
            kappa=c.kappa,
            centered_lambda=c.centered_lambda,
        )
        l0 = expected_l0(log_alpha, c.beta).mean() if len(log_alpha) else pred.new_zeros(())
        return {**terms, "l0": c.l0_lambda * self.l0_scale * l0}

    # -- learned subgraphs ------------------------------------------------------------------
    @torch.no_grad()
    def edge_scores(self, perturbation: Sequence[int]) -> list[tuple[int, int, float]]:
        """Every candidate edge of a perturbation with its gate probability ``σ(log α)`` (in
        eval mode; the model is given back in the mode it was in)."""
        perts = torch.tensor([list(perturbation)], device=self.pool_edge_index.device)
        with evaluating(self):
            gates = self._gates(perts)
        src, dst = self.pool_edge_index[:, gates["edge"]].tolist()
        score = torch.sigmoid(gates["log_alpha"]).tolist()
        return list(zip(src, dst, score, strict=True))

    @torch.no_grad()
    def edge_flows(self, perturbation: Sequence[int]) -> list[tuple[int, int, float]]:
        """Every candidate edge ``u → v`` of a perturbation with the size of the message it
        carries, ``max_l ‖z_e tanh(ρ_e) W_l h^l_u‖`` (eval gates).

        This is the edge score used for AUPRC. The gate alone cannot rank edges: an open gate
        on an edge whose source state ``h_u`` is ~0 (a gene the perturbation does not reach)
        or whose sign/strength ``tanh ρ_e`` is ~0 changes nothing, and the gates of one
        perturbation move together. The flow is what the prediction actually routes over the
        edge: gate × learned edge weight × the signal arriving at its source, so an edge
        scores high only when the perturbation reaches ``u`` and the fit uses ``u → v``. The
        model is given back in the mode it was in.
        """
        perts = torch.tensor([list(perturbation)], device=self.pool_edge_index.device)
        with evaluating(self):
            _, gates, flow = self._propagate(perts)
        src, dst = self.pool_edge_index[:, gates["edge"]].tolist()
        return list(zip(src, dst, flow.tolist(), strict=True))

    @torch.no_grad()
    def learned_edges(
        self, perturbation: Sequence[int], threshold: float = 0.5
    ) -> list[tuple[int, int, float, float]]:
        """``(src gene row, dst gene row, gate, flow)`` of the perturbation's edges whose
        deterministic gate ``min(1, max(0, σ(log α)(ζ-γ)+γ))`` is ≥ ``threshold``, largest
        :meth:`edge_flows` first — the ranking the learned-edge AUPRC is measured on (for
        write-back as LEARNED_EDGE). ``perturbation`` = rows of the perturbation index."""
        flows = {(src, dst): flow for src, dst, flow in self.edge_flows(perturbation)}
        edges = []
        for src, dst, prob in self.edge_scores(perturbation):
            gate = min(1.0, max(0.0, prob * (GATE_HIGH - GATE_LOW) + GATE_LOW))
            if gate >= threshold:
                edges.append((src, dst, gate, flows[(src, dst)]))
        return sorted(edges, key=lambda e: (-e[3], -e[2], e[0], e[1]))


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
