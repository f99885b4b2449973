import math
from itertools import combinations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from priorgraph.models import musegnn


def graph(genes: list[int], edges: list[tuple[int, int]]) -> Data:
    """A graph over shared-index ``genes``; ``edges`` in shared ids, plus self-loops."""
    local = {g: i for i, g in enumerate(genes)}
    pairs = [(local[a], local[b]) for a, b in edges] + [(i, i) for i in range(len(genes))]
    return Data(edge_index=torch.tensor(pairs).T, edge_weight=torch.ones(len(pairs)),
                gene=torch.tensor(genes), num_nodes=len(genes))  # fmt: skip


def clique(genes) -> list[tuple[int, int]]:
    return list(combinations(genes, 2))


def test_reconstruction_loss_by_hand():
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    pos, neg = torch.tensor([[0], [2]]), torch.tensor([[0], [1]])  # logits 1 and 0
    expected = math.log(1 + math.exp(-1)) + math.log(2)
    assert musegnn.reconstruction_loss(z, pos, neg).item() == pytest.approx(expected)


def test_weighted_cosine_loss_by_hand():
    za = torch.tensor([[1.0, 0.0], [2.0, 0.0]])
    zb = torch.tensor([[3.0, 0.0], [0.0, 1.0]])  # cos 1 and 0
    loss = musegnn.weighted_cosine_loss(za, zb, torch.tensor([0.5, 1.0]))
    assert loss.item() == pytest.approx((0.5 * 0 + 1.0 * 1) / 2)


def test_info_nce_by_hand():
    z = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    # logits [[1, 0], [0, 1]] / τ, τ = 0.5: −log(e² / (e² + 1)) in both directions
    assert musegnn.info_nce(z, z, 0.5).item() == pytest.approx(math.log(1 + math.exp(-2)))


def test_jaccard_weights_of_common_genes():
    a = graph([0, 1, 2, 3], [(0, 1), (0, 2)])
    b = graph([0, 1, 2, 4], [(0, 1), (0, 4)])
    (pair,) = musegnn.common_genes([a, b])
    assert pair.genes.tolist() == [0, 1, 2]
    # N_a(0) = {1, 2}, N_b(0) = {1, 4} → 1/3; gene 1: {0} vs {0} → 1; gene 2: {0} vs {} → 0
    assert pair.weight.tolist() == pytest.approx([1 / 3, 1.0, 0.0])
    assert pair.rows_a.tolist() == [0, 1, 2] and pair.rows_b.tolist() == [0, 1, 2]
    assert musegnn.common_genes([a, graph([5, 6], [(5, 6)])]) == []


def test_features_and_unified_embedding_follow_the_shared_index():
    g = graph([3, 1], [(3, 1)])
    x = musegnn.adjacency_features(g, 4)
    assert x.tolist() == [[0, 1, 0, 1], [0, 1, 0, 1]]
    za, zb = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.0, 5.0]])
    emb, present = musegnn.unified([za, zb], [torch.tensor([3, 1]), torch.tensor([3])], 4)
    assert present.tolist() == [False, True, False, True]
    assert emb[3].tolist() == pytest.approx([0.5, 0.5]) and emb[1].tolist() == [0.0, 1.0]


def two_module_graphs() -> list[Data]:
    """Module 0–4 co-expressed in both graphs; 5–9 only in A, 10–14 only in B."""
    a = graph(list(range(10)), clique(range(5)) + clique(range(5, 10)))
    b = graph([*range(5), *range(10, 15)], clique(range(5)) + clique(range(10, 15)))
    return [a, b]


TINY = musegnn.MuSeConfig(hidden=16, dim=8, epochs=60, dropout=0.0, lr=0.01)


def test_seeded_fit_is_reproducible():
    graphs = two_module_graphs()
    first = musegnn.fit(graphs, 15, TINY)
    again = musegnn.fit(graphs, 15, TINY)
    other = musegnn.fit(graphs, 15, musegnn.MuSeConfig(**{**TINY.__dict__, "seed": 1}))
    np.testing.assert_array_equal(first.embeddings, again.embeddings)
    assert not np.allclose(first.embeddings, other.embeddings)
    assert torch.get_num_threads() >= 1 and first.extra["device"] in ("cpu", "cuda")


def test_tiny_fit_learns_and_pulls_shared_module_together():
    result = musegnn.fit(two_module_graphs(), 15, TINY)
    assert result.history[-1]["loss"] < 0.7 * result.history[0]["loss"]
    assert result.present.all()
    e = result.embeddings / np.linalg.norm(result.embeddings, axis=1, keepdims=True)
    cos = e @ e.T
    within = np.mean([cos[i, j] for i, j in clique(range(5))])
    across = np.mean([cos[i, j] for i in range(5) for j in range(5, 15)])
    assert within > across + 0.2
