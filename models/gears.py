"""GEARS-style perturbation model (Roohani et al., Nat. Biotechnol. 2023), on priorgraph tensors.

Notation: ``G`` expression genes, ``P`` perturbable genes (the GO graph export's nodes), ``H``
hidden size, a sample perturbs the set ``S`` of rows of the perturbation-gene index.

1. Gene embeddings, refined on the co-expression graph ``A_c`` (SGConv, K=1 per layer, i.e.
   ``X' = D^-1/2 (A + I) D^-1/2 X Θ``)::

       b_g = ReLU(LN(E_g)),  q = SGConv^L(Q; A_c),  h_g = MLP(b_g + λ_pos q_g)

2. Perturbation embeddings, refined on the GO graph ``A_go`` (a GenePT-like feature ``f_p``
   adds ``F f_p`` so a gene without GO edges still gets an informative embedding)::

       r = SGConv^L(R + F f; A_go)

3. The sample's perturbation embeddings are summed and fused by an MLP (so any combination,
   including unseen doubles, has an embedding) and added to every gene; the perturbed genes
   themselves also get a learned flag embedding ``w_flag``::

       e_g = h_g + MLP_fuse(Σ_{p∈S} r_p) + [g ∈ S] w_flag + w_0

4. Decoder: a shared MLP, a gene-specific linear layer, a cross-gene MLP over all genes, and a
   gene-specific output layer (optionally also fed the control mean ``c_g``)::

       u_g = MLP_dec(ReLU(LN(e_g))),    z_g = w1_g · u_g + b1_g
       s = MLP_cross(z_1..z_G),         Δ_g = w2_g · [z_g, s, c_g] + b2_g

   ``MLP_cross`` ends in a linear layer, as in GEARS (no ReLU after it: ``s`` may be negative).

``Δ`` is the predicted change from control; it depends on the perturbation only, not on the
cell, as in GEARS (whose output is the control cell plus this change), so a batch of cells is
decoded once per distinct perturbation (:func:`~priorgraph.models.layers.per_perturbation`).
Deviations from the reference code: LayerNorm instead of BatchNorm (batches of one condition,
identical train/eval behaviour); ``R`` starts at scale ``embedding_init`` = 0.01 (GEARS: unit
norm), so a perturbation gene that no training condition reaches keeps the GO layer's shared
bias as its embedding, i.e. the response of a typical perturbation, not a random one (on the
Norman subset, doubles without a measured single: raw pearson_delta 0.05 → 0.18).

Loss (:func:`gears_loss`), per perturbation ``c`` with samples ``n ∈ c`` and scored genes ``M``
(all, or those non-zero in the condition)::

    L_c = mean_{n∈c, g∈M} |Δ̂_ng - Δ_ng|^(2+γ) + λ_dir mean_{n∈c, g∈M} (sign(Δ_ng) - σ(Δ̂_ng))^2
    L   = mean_c L_c

The two parts are the loss terms ``autofocus`` and ``direction`` (:func:`gears_loss_terms`).

with γ = 2 (autofocus) and ``σ = sign`` as in GEARS. ``sign`` has zero gradient, so by default
``σ(x) = tanh(x / τ)`` (τ = ``direction_temperature``), which tends to ``sign`` as τ → 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch_geometric.utils import scatter

from priorgraph.models.base import Batch, PerturbationModel
from priorgraph.models.layers import (
    PerturbationEncoder,
    SGConvStack,
    mlp,
    per_perturbation,
    perturbed_gene_mask,
    pool_perturbations,
)


def gears_loss_terms(
    pred: Tensor,
    target: Tensor,
    *,
    condition: Tensor,
    mask: Tensor | None = None,
    gamma: float = 2.0,
    direction_lambda: float = 0.1,
    direction_temperature: float = 0.0,
) -> dict[str, Tensor]:
    """The two terms of the GEARS loss (module docstring) on ``(B, G)`` predicted/true deltas.

    Parameters
    ----------
    pred, target
        Predicted and true deltas, ``(B, G)``.
    condition
        ``(B,)`` groups samples by perturbation.
    mask
        ``(B, G)`` the scored genes (None: all).
    gamma
        The autofocus exponent γ.
    direction_lambda
        λ_dir, the weight of the direction term (included in the ``direction`` value).
    direction_temperature
        τ of the soft sign ``tanh(x / τ)``; 0 = the exact (gradient-free) sign.

    Returns
    -------
    ``{"autofocus": mean_c L_focus, "direction": λ_dir mean_c L_dir}``; their sum is the loss.
    """
    weight = torch.ones_like(pred) if mask is None else mask.to(pred.dtype)
    focus = (pred - target).abs() ** (2 + gamma)
    soft = torch.tanh(pred / direction_temperature) if direction_temperature > 0 else pred.sign()
    direction = (target.sign() - soft) ** 2
    _, group = torch.unique(condition, return_inverse=True)
    den = scatter(weight.sum(1), group, dim=0, reduce="sum").clamp(min=1.0)

    def per_condition(values: Tensor) -> Tensor:
        return (scatter((values * weight).sum(1), group, dim=0, reduce="sum") / den).mean()

    return {
        "autofocus": per_condition(focus),
        "direction": direction_lambda * per_condition(direction),
    }


def gears_loss(pred: Tensor, target: Tensor, **options: object) -> Tensor:
    """The GEARS loss: the sum of :func:`gears_loss_terms` (same keyword-only options)."""
    terms = gears_loss_terms(pred, target, **options)
    return terms["autofocus"] + terms["direction"]


@dataclass
class GEARSConfig:
    """Hyper-parameters of :class:`GEARS` (defaults after the GEARS paper, but ``hidden`` 32
    instead of 64, for the time budget, and small initial perturbation embeddings)."""

    hidden: int = 32
    go_layers: int = 1
    coexp_layers: int = 1
    pos_weight: float = 0.2  # λ_pos
    gamma: float = 2.0
    direction_lambda: float = 0.1
    direction_temperature: float = 0.1  # τ; 0 = exact GEARS sign term
    nonzero_only: bool = True  # score only genes non-zero in the condition
    embedding_init: float = 0.01  # scale of the initial perturbation-gene embeddings R


class GEARS(PerturbationModel):
    """GEARS-style model: ``forward(perts (B, K)) -> (B, G)`` predicted change from control.

    Inputs (all from priorgraph exports, by keyword):

    * ``n_genes``: expression genes ``G`` (rows of the co-expression export);
    * ``go_edge_index`` ``(2, E)`` / ``go_edge_weight`` ``(E,)``: the GO graph export, over the
      perturbation-gene index (``n_perts`` nodes, its node order defines the index);
    * ``coexp_edge_index`` / ``coexp_edge_weight``: the co-expression export, over the genes;
    * ``pert_to_gene`` ``(P,)`` long: expression row of each perturbation gene, -1 if unmeasured
      (None: none flagged);
    * ``ctrl_mean`` ``(G,)``: mean control expression (optional extra decoder input);
    * ``pert_features`` ``(P, F)``: gene features (GenePT) aligned to the perturbation index.
    """

    name = "gears"
    config_class = GEARSConfig

    def __init__(
        self,
        *,
        n_genes: int,
        n_perts: int,
        go_edge_index: Tensor,
        go_edge_weight: Tensor,
        coexp_edge_index: Tensor,
        coexp_edge_weight: Tensor,
        pert_to_gene: Tensor | None = None,
        ctrl_mean: Tensor | None = None,
        pert_features: Tensor | None = None,
        config: GEARSConfig | None = None,
    ) -> None:
        super().__init__()
        self.config = config = config or GEARSConfig()
        self.n_genes, self.n_perts = n_genes, n_perts
        h = config.hidden
        self.register_buffer("go_edge_index", go_edge_index.long())
        self.register_buffer("go_edge_weight", go_edge_weight.float())
        self.register_buffer("coexp_edge_index", coexp_edge_index.long())
        self.register_buffer("coexp_edge_weight", coexp_edge_weight.float())
        if pert_to_gene is None:
            pert_to_gene = torch.full((n_perts,), -1, dtype=torch.long)
        self.register_buffer("pert_to_gene", pert_to_gene.long())
        self.register_buffer("ctrl_mean", ctrl_mean.float() if ctrl_mean is not None else None)
        self.register_buffer(
            "pert_features", pert_features.float() if pert_features is not None else None
        )

        self.gene_emb = nn.Parameter(torch.randn(n_genes, h) * 0.1)
        self.gene_norm = nn.LayerNorm(h)
        self.pos_emb = nn.Parameter(torch.randn(n_genes, h) * 0.1)
        self.coexp = SGConvStack(hidden=h, depth=config.coexp_layers)
        self.gene_mlp = mlp([h, h, h], last_relu=True)

        self.perturbations = PerturbationEncoder(
            n_perts=n_perts, hidden=h, depth=config.go_layers,
            feature_dim=pert_features.shape[1] if pert_features is not None else None,
            init=config.embedding_init,
        )  # fmt: skip
        self.pert_fuse = mlp([h, h, h], last_relu=True)
        self.flag = nn.Linear(1, h)  # w_flag (weight) and w_0 (bias)

        self.dec_norm = nn.LayerNorm(h)
        self.decoder = mlp([h, 2 * h, h])
        self.w1 = nn.Parameter(nn.init.xavier_normal_(torch.empty(n_genes, h)))
        self.b1 = nn.Parameter(torch.zeros(n_genes))
        self.cross = mlp([n_genes, h, h])
        extra = 2 if ctrl_mean is not None else 1
        self.w2 = nn.Parameter(nn.init.xavier_normal_(torch.empty(n_genes, h + extra)))
        self.b2 = nn.Parameter(torch.zeros(n_genes))

    def gene_embeddings(self) -> Tensor:
        """``h`` ``(G, H)``: base embeddings plus their co-expression-refined positional part."""
        q = self.coexp(self.pos_emb, self.coexp_edge_index, self.coexp_edge_weight)
        base = torch.relu(self.gene_norm(self.gene_emb))
        return self.gene_mlp(base + self.config.pos_weight * q)

    def perturbation_embeddings(self) -> Tensor:
        """``r`` ``(P, H)``: perturbation embeddings refined on the GO graph."""
        return self.perturbations(self.go_edge_index, self.go_edge_weight, self.pert_features)

    def forward(self, perts: Tensor) -> Tensor:
        """``perts`` ``(B, K)`` rows of the perturbation index (-1 padded) → ``(B, G)`` deltas."""
        fused = self.pert_fuse(pool_perturbations(self.perturbation_embeddings(), perts))
        flag = perturbed_gene_mask(perts, self.pert_to_gene, self.n_genes).unsqueeze(-1)
        e = self.gene_embeddings().unsqueeze(0) + fused.unsqueeze(1) + self.flag(flag)
        u = self.decoder(torch.relu(self.dec_norm(e)))  # (B, G, H)
        z = (u * self.w1).sum(-1) + self.b1  # (B, G)
        s = self.cross(z).unsqueeze(1).expand(-1, self.n_genes, -1)  # (B, G, H)
        parts = [z.unsqueeze(-1), s]
        if self.ctrl_mean is not None:
            parts.append(self.ctrl_mean.expand(len(z), -1).unsqueeze(-1))
        return (torch.cat(parts, -1) * self.w2).sum(-1) + self.b2

    def loss_terms(self, batch: Batch) -> dict[str, Tensor]:
        """:func:`gears_loss_terms` of this batch with the configured γ, λ_dir, τ and gene mask."""
        c = self.config
        return gears_loss_terms(
            per_perturbation(self, batch.perts),
            batch.target,
            condition=batch.condition,
            mask=batch.mask if c.nonzero_only else None,
            gamma=c.gamma,
            direction_lambda=c.direction_lambda,
            direction_temperature=c.direction_temperature,
        )
