"""Layers the graph models share: MLPs, SGConv stacks, the GO-refined perturbation encoder and
the pooling of a sample's perturbations.

Notation as in :mod:`priorgraph.models.gears`: ``P`` perturbable genes (the GO export's nodes),
``G`` expression genes, ``H`` hidden size; a sample perturbs the set ``S`` of rows of the
perturbation-gene index, given as a ``(B, K)`` tensor padded with -1.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import torch
from torch import Tensor, nn
from torch_geometric.nn import SGConv


def mlp(sizes: list[int], *, last_relu: bool = False) -> nn.Sequential:
    """Linear layers with LayerNorm + ReLU between them (and after the last if ``last_relu``)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or last_relu:
            layers += [nn.LayerNorm(b), nn.ReLU()]
    return nn.Sequential(*layers)


class SGConvStack(nn.Module):
    """``depth`` SGConv layers (K = 1: ``X' = D^-1/2 (A + I) D^-1/2 X Θ``), ReLU between them."""

    def __init__(self, *, hidden: int, depth: int):
        super().__init__()
        self.layers = nn.ModuleList(SGConv(hidden, hidden, K=1) for _ in range(depth))

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x, edge_index, edge_weight)
            x = x.relu() if i < len(self.layers) - 1 else x
        return x


class PerturbationEncoder(nn.Module):
    """Perturbation-gene embeddings refined on the GO graph: ``r = SGConv^L(R + F f; A_go)``.

    ``R`` ``(P, H)`` is learned, drawn at scale ``init``; ``F f`` projects optional gene
    features ``f`` ``(P, F)`` (GenePT), so a gene without GO edges still gets an informative
    embedding.
    """

    def __init__(
        self,
        *,
        n_perts: int,
        hidden: int,
        depth: int,
        feature_dim: int | None = None,
        init: float = 0.1,
    ):
        super().__init__()
        self.emb = nn.Parameter(torch.randn(n_perts, hidden) * init)
        self.proj = nn.Linear(feature_dim, hidden) if feature_dim is not None else None
        self.go = SGConvStack(hidden=hidden, depth=depth)

    def forward(
        self, edge_index: Tensor, edge_weight: Tensor, features: Tensor | None = None
    ) -> Tensor:
        """``r`` ``(P, H)`` over the GO graph ``edge_index`` / ``edge_weight``."""
        r = self.emb
        if self.proj is not None and features is not None:
            r = r + self.proj(features)
        return self.go(r, edge_index, edge_weight)


def pool_perturbations(emb: Tensor, perts: Tensor) -> Tensor:
    """``Σ_{p∈S_b} emb_p`` per sample: ``emb`` ``(P, H)``, ``perts`` ``(B, K)`` padded with -1."""
    valid = (perts >= 0).unsqueeze(-1).to(emb.dtype)
    return (emb[perts.clamp(min=0)] * valid).sum(1)


def perturbed_gene_mask(perts: Tensor, pert_to_gene: Tensor, n_genes: int) -> Tensor:
    """``(B, G)`` float: 1 where the expression gene is one of the sample's perturbed genes."""
    genes = torch.where(perts >= 0, pert_to_gene[perts.clamp(min=0)], -1)
    flag = torch.zeros(perts.shape[0], n_genes + 1, device=perts.device)
    flag.scatter_(1, torch.where(genes >= 0, genes, n_genes), 1.0)
    return flag[:, :n_genes]


def per_perturbation(forward: Callable[[Tensor], Tensor], perts: Tensor) -> Tensor:
    """``forward`` evaluated once per distinct perturbation of a batch, then spread back to the
    batch's rows.

    The graph models' output depends on the perturbation only, not on the cell: a batch of 64
    cells from ~20 conditions needs ~20 forward passes, not 64 (the decoder runs over every gene
    of every row, so this is where a cell batch spends its time). Rows of ``perts`` that list the
    same targets in another order are different rows here (the result is the same).
    """
    unique, inverse = torch.unique(perts, dim=0, return_inverse=True)
    return forward(unique)[inverse]
