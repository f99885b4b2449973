"""MuSe-GNN-style unified gene embeddings learned from several co-expression graphs.

After Liu, Wang, Ying & Zhao, *MuSe-GNN: Learning Unified Gene Representation From Multimodal
Biological Graph Data*, NeurIPS 2023. Graph t (one data set) has n_t genes, input features X_t
and undirected edges E_t; the genes of all graphs live in one shared index (ingest.coexpression).

Encoder (weight sharing as in the paper: dataset-specific input, shared graph transformer)::

    H_t⁰   = ELU(X_t W_t + b_t)                      W_t: one input layer per data set
    H_tˡ⁺¹ = ELU(TransformerConv_l(H_tˡ, E_t))       shared by all data sets (last: no ELU)
    Z_t    = H_t^L ∈ ℝ^{n_t × d}

Loss (λ_sim, λ_nce weights; τ temperature; C_st the genes common to graphs s and t)::

    L        = Σ_t L_rec^t + λ_sim Σ_{s<t} L_sim^st + λ_nce Σ_{s<t} L_nce^st
    L_rec^t  = −1/|E_t| Σ_{(u,v)∈E_t} log σ(z_u·z_v) − 1/|N_t| Σ_{(u,v)∈N_t} log(1 − σ(z_u·z_v))
    L_sim^st = 1/|C_st| Σ_{g∈C_st} w_g (1 − cos(z_g^s, z_g^t)),
               w_g = |N_s(g) ∩ N_t(g)| / |N_s(g) ∪ N_t(g)|   (neighbours as shared-index genes)
    L_nce^st = −1/(2|C_st|) Σ_{g∈C_st} [ log softmax_j(cos(z_g^s, z_j^t)/τ)_g
                                        + log softmax_j(cos(z_g^t, z_j^s)/τ)_g ],  j ∈ C_st

N_t are negatives drawn uniformly among non-edges (``neg_ratio`` · |E_t| per epoch). The unified
embedding of gene g is the mean of its unit-length embeddings over the graphs T_g containing it,
e_g = 1/|T_g| Σ_{t∈T_g} z_g^t/‖z_g^t‖.

Held-out edges: before training, a seeded ``val_fraction`` of each graph's undirected edges is
taken out (:func:`hold_out_edges`). Nothing of them reaches the model: not the input features
X_t, not the message passing, not L_rec, not the Jaccard weights. After training, the held-out
edges are scored against as many sampled non-edges of the full graph (ROC AUC of z_u·z_v,
``extra["heldout_auc"]``): above 0.5 the embeddings predict co-expression they never saw, which
a model that only memorises its input cannot.

Simplifications against the paper (stated, not hidden): the paper feeds each gene's expression
profile over the data set's cells; here X_t is the gene's weighted co-expression row over the
shared index (|r| to each partner, 1 on itself), so training needs only the stored graph. The
similarity term is written as w_g (1 − cos) (the paper's −w_g cos up to a constant), averaged
over the common genes; InfoNCE uses the same gene in the other graph as the positive and the
other common genes as negatives, symmetrised. The paper's per-data-set decoder details and its
graph construction (CS-CORE) are not reproduced; full-batch training with Adam.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.nn import TransformerConv
from torch_geometric.utils import negative_sampling, remove_self_loops, to_undirected

from priorgraph.core.errors import UsageError
from priorgraph.core.utils import progress
from priorgraph.models.runtime import device as torch_device
from priorgraph.models.runtime import evaluating, seed_everything, torch_threads

logger = logging.getLogger(__name__)


@dataclass
class MuSeConfig:
    """Model and training settings (defaults sized for a few graphs of ≤ 2,000 genes on CPU)."""

    hidden: int = 64
    dim: int = 32
    heads: int = 2
    layers: int = 2
    dropout: float = 0.1
    lr: float = 5e-3
    epochs: int = 150
    lambda_sim: float = 1.0
    lambda_nce: float = 0.5
    tau: float = 0.2
    neg_ratio: float = 1.0
    val_fraction: float = 0.1  # share of each graph's edges held out of training
    seed: int = 0
    threads: int = 1
    device: str | None = None  # None: cuda when available, else cpu


# --- loss terms (pure functions, tested against hand-computed values) -------------------------


def reconstruction_loss(z: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
    """GAE edge reconstruction: BCE of σ(z_u·z_v), 1 on edges ``pos``, 0 on negatives ``neg``."""
    pos_logit = (z[pos[0]] * z[pos[1]]).sum(-1)
    neg_logit = (z[neg[0]] * z[neg[1]]).sum(-1)
    return F.binary_cross_entropy_with_logits(
        pos_logit, torch.ones_like(pos_logit)
    ) + F.binary_cross_entropy_with_logits(neg_logit, torch.zeros_like(neg_logit))


def weighted_cosine_loss(za: Tensor, zb: Tensor, weight: Tensor) -> Tensor:
    """1/|C| Σ_g w_g (1 − cos(za_g, zb_g)) over aligned rows (the same gene in two graphs)."""
    return (weight * (1 - F.cosine_similarity(za, zb, dim=-1))).mean()


def info_nce(za: Tensor, zb: Tensor, tau: float) -> Tensor:
    """Symmetric InfoNCE: row g of ``za`` must pick row g of ``zb`` among all rows (and back)."""
    logits = F.normalize(za, dim=-1) @ F.normalize(zb, dim=-1).T / tau
    target = torch.arange(za.shape[0], device=za.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


# --- graph preparation -----------------------------------------------------------------------


def hold_out_edges(graph: Data, fraction: float, generator: torch.Generator) -> tuple[Data, Tensor]:
    """Take ``fraction`` of the graph's undirected edges out (self-loops never, at least one edge
    kept): the graph without them (both directions gone, all nodes and other edges as they were)
    and the held-out pairs ``(2, H)`` as local ``u < v``."""
    src, dst = graph.edge_index
    n = graph.num_nodes
    low, high = torch.minimum(src, dst), torch.maximum(src, dst)
    key = low * n + high
    pairs = torch.unique(key[low != high])
    n_out = min(round(fraction * len(pairs)), len(pairs) - 1) if len(pairs) else 0
    out = pairs[torch.randperm(len(pairs), generator=generator)[: max(n_out, 0)]].sort().values
    kept = graph.edge_subgraph(~torch.isin(key, out) | (low == high))
    return kept, torch.stack([out // n, out % n])


def undirected_edges(graph: Data) -> Tensor:
    """Local edges in both directions, self-loops removed (message passing and L_rec)."""
    edge_index, _ = remove_self_loops(graph.edge_index)
    return to_undirected(edge_index, num_nodes=graph.num_nodes)


def adjacency_features(graph: Data, n_genes: int) -> Tensor:
    """X_t: row i = |r| of local gene i to each shared-index gene (1 on itself)."""
    x = torch.zeros(graph.num_nodes, n_genes)
    src, dst = graph.edge_index
    weight = graph.edge_weight if graph.edge_weight is not None else torch.ones(src.numel())
    x[dst, graph.gene[src]] = weight.float()
    x[src, graph.gene[dst]] = torch.maximum(x[src, graph.gene[dst]], weight.float())
    x[torch.arange(graph.num_nodes), graph.gene] = 1.0
    return x


def neighbour_sets(graph: Data) -> dict[int, set[int]]:
    """Shared-index gene → the shared-index genes adjacent to it in this graph (no self)."""
    out: dict[int, set[int]] = {int(g): set() for g in graph.gene}
    src, dst = undirected_edges(graph)
    for s, d in zip(graph.gene[src].tolist(), graph.gene[dst].tolist(), strict=True):
        out[d].add(s)
    return out


@dataclass
class Pair:
    """Two graphs' common genes: local rows ``rows_a``/``rows_b`` and Jaccard weights w_g."""

    a: int
    b: int
    genes: Tensor
    rows_a: Tensor
    rows_b: Tensor
    weight: Tensor


def common_genes(graphs: Sequence[Data]) -> list[Pair]:
    """Every pair of graphs sharing ≥ 2 genes, with w_g = Jaccard of the two neighbourhoods."""
    neighbours = [neighbour_sets(g) for g in graphs]
    pairs = []
    for a, b in combinations(range(len(graphs)), 2):
        row_a = {int(g): i for i, g in enumerate(graphs[a].gene)}
        row_b = {int(g): i for i, g in enumerate(graphs[b].gene)}
        shared = sorted(row_a.keys() & row_b.keys())
        if len(shared) < 2:
            continue
        weight = []
        for g in shared:
            union = neighbours[a][g] | neighbours[b][g]
            weight.append(len(neighbours[a][g] & neighbours[b][g]) / len(union) if union else 0.0)
        pairs.append(
            Pair(a, b, torch.tensor(shared), torch.tensor([row_a[g] for g in shared]),
                 torch.tensor([row_b[g] for g in shared]), torch.tensor(weight))
        )  # fmt: skip
    return pairs


# --- model ---------------------------------------------------------------------------------


class MuSeGNN(nn.Module):
    """Dataset-specific input layers → shared TransformerConv layers → Z_t per data set."""

    def __init__(self, *, in_dims: Sequence[int], config: MuSeConfig):
        super().__init__()
        if config.layers < 1 or config.hidden % config.heads:
            raise UsageError("need layers ≥ 1 and hidden divisible by heads")
        self.inputs = nn.ModuleList(nn.Linear(d, config.hidden) for d in in_dims)
        self.convs = nn.ModuleList(
            TransformerConv(config.hidden, config.hidden // config.heads, heads=config.heads,
                            dropout=config.dropout)
            for _ in range(config.layers - 1)
        )  # fmt: skip
        self.convs.append(
            TransformerConv(config.hidden, config.dim, heads=config.heads, concat=False,
                            dropout=config.dropout)
        )  # fmt: skip
        self.dropout = config.dropout

    def encode(self, t: int, x: Tensor, edge_index: Tensor) -> Tensor:
        h = F.elu(self.inputs[t](x))
        for i, conv in enumerate(self.convs):
            h = conv(F.dropout(h, self.dropout, self.training), edge_index)
            if i < len(self.convs) - 1:
                h = F.elu(h)
        return h

    def forward(self, xs: Sequence[Tensor], edges: Sequence[Tensor]) -> list[Tensor]:
        return [self.encode(t, x, e) for t, (x, e) in enumerate(zip(xs, edges, strict=True))]


def unified(zs: Sequence[Tensor], genes: Sequence[Tensor], n_genes: int) -> tuple[Tensor, Tensor]:
    """e_g = mean over graphs containing g of z_g^t/‖z_g^t‖; also the mask of covered genes."""
    total = torch.zeros(n_genes, zs[0].shape[1], device=zs[0].device)
    count = torch.zeros(n_genes, device=zs[0].device)
    for z, g in zip(zs, genes, strict=True):
        total.index_add_(0, g, F.normalize(z, dim=-1))
        count.index_add_(0, g, torch.ones(g.numel(), device=z.device))
    present = count > 0
    total[present] /= count[present, None]
    return total, present


# --- training ------------------------------------------------------------------------------


@dataclass
class MuSeResult:
    """Unified embeddings (``n_genes × d``; rows with ``present`` False are zero) and history.

    ``extra`` holds the device, the graph pairs, their mean Jaccard weights and the held-out
    edge reconstruction (``heldout_auc``, ``heldout_edges``).
    """

    embeddings: np.ndarray
    present: np.ndarray
    per_graph: list[np.ndarray]
    history: list[dict[str, float]]
    config: MuSeConfig
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"config": asdict(self.config), "final": self.history[-1],
                "first": self.history[0], "seconds": round(self.seconds, 2),
                "genes": int(self.present.sum()), **self.extra}  # fmt: skip


def loss_terms(
    model: MuSeGNN,
    xs: Sequence[Tensor],
    edges: Sequence[Tensor],
    pairs: Sequence[Pair],
    config: MuSeConfig,
) -> dict[str, Tensor]:
    """The three terms of L for one full-batch step (negatives drawn from torch's RNG)."""
    zs = model(xs, edges)
    rec = sum(
        reconstruction_loss(
            z, e, negative_sampling(e, z.shape[0], max(1, int(config.neg_ratio * e.shape[1])))
        )
        for z, e in zip(zs, edges, strict=True)
    )
    zero = zs[0].new_zeros(())
    sim = sum((weighted_cosine_loss(zs[p.a][p.rows_a], zs[p.b][p.rows_b], p.weight)
               for p in pairs), zero)  # fmt: skip
    nce = sum((info_nce(zs[p.a][p.rows_a], zs[p.b][p.rows_b], config.tau) for p in pairs), zero)
    total = rec + config.lambda_sim * sim + config.lambda_nce * nce
    return {"loss": total, "rec": rec, "sim": sim, "nce": nce}


def heldout_auc(
    zs: Sequence[Tensor], heldout: Sequence[Tensor], graphs: Sequence[Data]
) -> tuple[float, int]:
    """ROC AUC of ``z_u·z_v`` for the held-out edges against as many non-edges of the full
    graphs (sampled with torch's RNG), pooled over the graphs; NaN without held-out edges."""
    from sklearn.metrics import roc_auc_score

    scores, labels = [], []
    for z, pos, graph in zip(zs, heldout, graphs, strict=True):
        if pos.shape[1] == 0:
            continue
        full = undirected_edges(graph).to(z.device)
        neg = negative_sampling(full, z.shape[0], pos.shape[1])
        for pairs, label in ((pos.to(z.device), 1.0), (neg, 0.0)):
            scores.append((z[pairs[0]] * z[pairs[1]]).sum(-1).cpu())
            labels.append(torch.full((pairs.shape[1],), label))
    if not scores:
        return float("nan"), 0
    y = torch.cat(labels).numpy()
    return float(roc_auc_score(y, torch.cat(scores).numpy())), int(y.sum())


def fit(graphs: Sequence[Data], *, n_genes: int, config: MuSeConfig | None = None) -> MuSeResult:
    """Train on the graphs (one shared index of ``n_genes``) and return unified embeddings.

    A seeded ``config.val_fraction`` of each graph's edges is held out of training and scored
    at the end (module docstring).
    """
    config = config or MuSeConfig()
    device = torch_device(config.device)
    start = time.perf_counter()
    with torch_threads(config.threads):
        seed_everything(config.seed)
        generator = torch.Generator().manual_seed(config.seed)
        split = [hold_out_edges(g, config.val_fraction, generator) for g in graphs]
        seen = [kept for kept, _ in split]
        edges = [undirected_edges(g).to(device) for g in seen]
        if any(e.shape[1] == 0 for e in edges):
            raise UsageError("a graph has no edge besides self-loops: nothing to reconstruct")
        xs = [adjacency_features(g, n_genes).to(device) for g in seen]
        pairs = [
            Pair(p.a, p.b, p.genes, p.rows_a.to(device), p.rows_b.to(device), p.weight.to(device))
            for p in common_genes(seen)
        ]
        model = MuSeGNN(in_dims=[x.shape[1] for x in xs], config=config).to(device)
        optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
        history = []
        for epoch in progress(range(config.epochs), desc="train MuSe-GNN", unit="epoch"):
            model.train()
            optimiser.zero_grad()
            terms = loss_terms(model, xs, edges, pairs, config)
            terms["loss"].backward()
            optimiser.step()
            history.append({"epoch": epoch, **{k: v.item() for k, v in terms.items()}})
        with torch.no_grad(), evaluating(model):
            zs = model(xs, edges)
            emb, present = unified(zs, [g.gene.to(device) for g in graphs], n_genes)
            auc, n_heldout = heldout_auc(zs, [pos for _, pos in split], graphs)
    result = MuSeResult(
        emb.cpu().numpy(), present.cpu().numpy(), [z.cpu().numpy() for z in zs], history,
        config, time.perf_counter() - start,
        {"device": str(device), "pairs": len(pairs),
         "mean_jaccard": [round(float(p.weight.mean()), 4) for p in pairs],
         "heldout_edges": n_heldout, "heldout_auc": round(auc, 4)},
    )  # fmt: skip
    logger.info("MuSe-GNN: %d graphs, %d genes, held-out edge AUC %.3f over %d edges",
                len(graphs), int(result.present.sum()), auc, n_heldout)  # fmt: skip
    return result
