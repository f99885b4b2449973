import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from priorgraph.models.adapert import (
    AdaPert,
    AdaPertConfig,
    candidate_pool,
    deg_aware_loss,
    deg_aware_loss_terms,
    edge_auprc,
    expected_l0,
    go_paths,
    hard_concrete,
    knn_edges,
)
from priorgraph.models.base import Batch

N_GENES = 6
CHAIN = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])  # co-expression: 0-1-2-3-4, gene 5 isolated
# GO prior over 9 perturbation genes: 0-5 are the measured genes 0-5; 6, 7 and 8 are not measured.
# 6 reaches the data only through 7 (6 -0.5- 7 -0.8- 2); 8 has no GO edge at all; 0 -1.0- 5.
GO = torch.tensor([[6, 7, 0], [7, 2, 5]])
GO_WEIGHT = torch.tensor([0.5, 0.8, 1.0])


def tiny_model(seed: int = 0, **settings) -> AdaPert:
    torch.manual_seed(seed)
    inputs = ("gene_features", "pert_features", "knn_edge_index")
    features = {k: settings.pop(k) for k in inputs if k in settings}
    return AdaPert(n_genes=N_GENES, n_perts=9, go_edge_index=GO, go_edge_weight=GO_WEIGHT,
                   coexp_edge_index=CHAIN, coexp_edge_weight=torch.full((4,), 0.7),
                   pert_to_gene=torch.tensor([0, 1, 2, 3, 4, 5, -1, -1, -1]),
                   config=AdaPertConfig(**{"hidden": 8, **settings}), **features)  # fmt: skip


def test_hard_concrete_eval_gate_and_expected_l0_follow_the_formulas():
    log_alpha = torch.tensor([-3.0, 0.0, 0.5, 3.0])
    gate = hard_concrete(log_alpha, training=False)
    expected = [min(1.0, max(0.0, 1.2 / (1 + math.exp(-a)) - 0.1)) for a in log_alpha.tolist()]
    torch.testing.assert_close(gate, torch.tensor(expected))
    assert gate[0] == 0 and gate[3] == 1  # the stretch makes exact zeros and ones
    l0 = expected_l0(log_alpha, beta=2 / 3)
    shift = (2 / 3) * math.log(0.1 / 1.1)
    torch.testing.assert_close(l0, torch.sigmoid(log_alpha - shift))
    assert l0[1].item() == pytest.approx(1 / (1 + math.exp(shift)))


def test_hard_concrete_samples_match_the_expected_l0():
    u = torch.tensor([0.5, 0.25])
    z = hard_concrete(torch.tensor([0.0, 1.0]), beta=0.5, uniform=u)
    s = torch.sigmoid((torch.log(u / (1 - u)) + torch.tensor([0.0, 1.0])) / 0.5)
    torch.testing.assert_close(z, (s * 1.2 - 0.1).clamp(0, 1))
    torch.manual_seed(0)
    log_alpha = torch.full((200_000,), -0.5)
    nonzero = (hard_concrete(log_alpha, beta=2 / 3) > 0).float().mean()
    assert nonzero.item() == pytest.approx(expected_l0(log_alpha[:1]).item(), abs=0.005)


def test_deg_aware_loss_by_hand():
    pred, target = torch.tensor([[1.0, 0.0, 0.0]]), torch.tensor([[2.0, 0.0, -1.0]])
    reference = torch.tensor([0.5, 0.0, 0.0])
    # |t| = [2, 0, 1], mean 1 → w = [3, 1, 2]; squared error [1, 0, 1] → (3 + 2) / 6
    mse = 5 / 6
    a, b = [0.5, 0.0, 0.0], [1.5, 0.0, -1.0]  # pred - μ, target - μ
    ma, mb = sum(a) / 3, sum(b) / 3
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    corr = cov / math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
    loss = deg_aware_loss(pred, target, reference=reference, kappa=1.0, centered_lambda=0.5)
    assert loss.item() == pytest.approx(mse + 0.5 * (1 - corr), rel=1e-5)
    mask = torch.tensor([[True, True, False]])  # |t| = [2, 0], mean 1 → w = [3, 1]
    masked = deg_aware_loss(pred, target, reference=reference, mask=mask, centered_lambda=0.0)
    assert masked.item() == pytest.approx(3 / 4)


def test_the_centred_correlation_term_scores_only_the_masked_genes():
    """Genes outside the mask (zero in the condition) take no part in the centred term: what is
    predicted there changes neither the term nor the means it centres on."""
    target = torch.tensor([[1.0, -1.0, 0.5, 0.0, 2.0]])
    reference = torch.zeros(5)
    mask = torch.tensor([[True, True, True, False, False]])
    options = {"reference": reference, "mask": mask, "kappa": 0.0, "centered_lambda": 1.0}
    good = torch.tensor([[1.0, -1.0, 0.5, 9.0, -7.0]])  # right on the masked genes
    terms = deg_aware_loss_terms(good, target, **options)
    assert terms["centered"].item() == pytest.approx(0.0, abs=1e-6)
    other = deg_aware_loss_terms(torch.tensor([[1.0, -1.0, 0.5, -3.0, 4.0]]), target, **options)
    assert other["centered"].item() == pytest.approx(terms["centered"].item(), abs=1e-6)


def test_predicting_the_mean_response_gets_the_full_centred_penalty():
    target = torch.tensor([[1.0, -1.0, 0.5, 0.0]])
    mean = torch.tensor([0.5, -0.5, 0.0, 0.2])
    collapsed = deg_aware_loss(mean.unsqueeze(0), target, reference=mean, kappa=0.0,
                               centered_lambda=1.0)  # fmt: skip
    mse = ((mean - target) ** 2).mean().item()
    assert collapsed.item() == pytest.approx(mse + 1.0)
    exact = deg_aware_loss(target, target, reference=mean, kappa=0.0, centered_lambda=1.0)
    assert exact.item() == pytest.approx(0.0, abs=1e-6)


def test_candidate_pool_is_a_symmetric_union_with_signed_source_weights():
    go = (torch.tensor([[0, 1], [1, 1]]), torch.tensor([0.3, 1.0]))  # self-loop 1→1 dropped
    coexp = (torch.tensor([[1, 2], [0, 0]]), torch.tensor([-0.6, 0.5]))
    edges, attr = candidate_pool(3, [go, coexp, None])
    got = {(u, v): a for (u, v), a in zip(edges.T.tolist(), attr.tolist(), strict=True)}
    # the co-expression r keeps its sign: 0 and 1 are anti-correlated
    both, coexp_only = pytest.approx([0.3, -0.6, 0]), pytest.approx([0, 0.5, 0])
    assert got == {(0, 1): both, (1, 0): both, (0, 2): coexp_only, (2, 0): coexp_only}
    # listed twice in one source: the weight of largest magnitude wins, with its sign
    twice = (torch.tensor([[0, 1], [1, 0]]), torch.tensor([0.2, -0.7]))
    _, attr = candidate_pool(2, [twice])
    assert attr[:, 0].tolist() == pytest.approx([-0.7, -0.7])


def test_knn_edges():
    features = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    edges, weight = knn_edges(features, 1)
    assert edges.tolist() == [[1, 0, 1], [0, 1, 2]]
    assert weight[0].item() == pytest.approx(0.9 / math.hypot(0.9, 0.1))


def test_knn_edges_leave_out_genes_without_a_vector():
    """Zero-filled rows (genes without an embedding) have cosine 0 with everything: among
    anti-aligned genes they would be picked as 'nearest'. They get no edges at all."""
    features = torch.tensor([[1.0, 0.0], [-1.0, 0.1], [0.0, 0.0], [0.0, 0.0], [-0.9, 0.0]])
    present = torch.tensor([True, True, False, False, True])
    edges, weight = knn_edges(features, 1, present=present)
    assert not set(edges.flatten().tolist()) & {2, 3}
    assert sorted(map(tuple, edges.T.tolist())) == [(1, 0), (1, 4), (4, 1)]
    assert len(weight) == 3


def test_go_paths_keep_the_first_distance_and_the_strongest_path():
    # 0 -0.1- 2 directly, and 0 -0.5- 1 -0.8- 2: gene 2 is one step away, its best path weighs 0.4
    edges = np.array([[0, 0, 1], [2, 1, 2]])
    weights = np.array([0.1, 0.5, 0.8])
    graph = sp.coo_matrix((weights, (edges[0], edges[1])), shape=(3, 3)).tocsr()
    graph = graph.maximum(graph.T).tocsr()
    paths = go_paths(graph, 0, 2)
    assert paths == {0: (0, 1.0), 1: (1, 0.5), 2: (1, pytest.approx(0.4))}
    assert go_paths(graph, 0, 1)[2] == (1, pytest.approx(0.1))


def test_an_unmeasured_target_enters_the_data_through_genes_nobody_measured():
    """Target 6 has no measured GO neighbour: it enters at gene 2, two GO steps away through the
    unmeasured gene 7, with path weight 0.5 × 0.8; a measured target enters at itself only."""
    model = tiny_model()
    entries = model.entries(6)
    assert entries.genes.tolist() == [2]
    assert entries.attr.tolist() == [pytest.approx([0.4, 1.0, 0.0, 0.0])]
    measured = model.entries(0)  # GO neighbour 5 is reached by the propagation, not entered
    assert measured.genes.tolist() == [0]
    assert measured.attr.tolist() == [[1.0, 0.0, 0.0, 0.0]]


def test_a_measured_target_no_pool_edge_leaves_enters_where_the_graph_says():
    """Gene 2 is measured but co-expressed with nothing: the shock could not travel from it, so
    it also enters at gene 0, two GO steps away through the unmeasured gene 3."""
    model = AdaPert(n_genes=3, n_perts=4, go_edge_index=torch.tensor([[2, 3], [3, 0]]),
                    go_edge_weight=torch.tensor([0.5, 0.5]),
                    coexp_edge_index=torch.tensor([[0], [1]]), coexp_edge_weight=torch.ones(1),
                    pert_to_gene=torch.tensor([0, 1, 2, -1]),
                    config=AdaPertConfig(hidden=4))  # fmt: skip
    assert model.entries(0).genes.tolist() == [0]  # 0 → 1 carries its shock on
    entries = model.entries(2)
    assert entries.genes.tolist() == [2, 0]
    assert entries.attr.tolist() == [[1.0, 0.0, 0.0, 0.0], [0.25, 1.0, 0.0, 0.0]]


def test_a_target_without_any_path_may_enter_at_every_measured_gene():
    model = tiny_model(entry_hops=1)  # one step from 6 reaches only the unmeasured 7
    for target in (6, 8):  # 8 has no GO edge at all
        entries = model.entries(target)
        assert entries.genes.tolist() == list(range(N_GENES))
        assert entries.attr[:, 3].tolist() == [1.0] * N_GENES  # flagged: the gates choose


def test_genept_neighbours_are_entries_too():
    genes = torch.eye(N_GENES)[:, :4].clone()  # genes 0-3 have a vector, 4 and 5 none
    perts = torch.cat([genes, torch.zeros(3, 4)])
    perts[6] = torch.tensor([0.0, 0.0, 3.0, 4.0])  # cosine 0.6 with gene 2, 0.8 with gene 3
    model = tiny_model(knn_entries=2, gene_features=genes, pert_features=perts)
    entries = model.entries(6)
    attr = dict(zip(entries.genes.tolist(), entries.attr.tolist(), strict=True))
    assert set(attr) == {2, 3}
    assert attr[2] == pytest.approx([0.4, 1.0, 0.6, 0.0])  # GO path and GenePT both lead to 2
    assert attr[3] == pytest.approx([0.0, 0.0, 0.8, 0.0])
    assert entries.genes.tolist() == [2, 3]  # largest π + c first
    one = tiny_model(knn_entries=2, max_entries=1, gene_features=genes, pert_features=perts)
    assert one.entries(6).genes.tolist() == [2]


def test_the_unmeasured_target_moves_genes_around_its_entry():
    """The sparse path alone: target 6 moves its entry gene 2 and what one pool step from 2
    reaches (1 and 3), nothing else; the dense path then moves every gene."""
    sparse = tiny_model(hops=1, dense_rank=0).eval()
    with torch.no_grad():
        out = sparse(torch.tensor([[6, -1], [0, 6]]))
    assert out.shape == (2, N_GENES)
    assert out[0, [1, 2, 3]].abs().min() > 0
    assert out[0, [0, 4, 5]].abs().max() == 0
    with torch.no_grad():
        dense = tiny_model(hops=1).eval()(torch.tensor([[6]]))
    assert dense.abs().min() > 0


def test_seeded_models_are_identical_and_features_are_used():
    perts = torch.tensor([[1, 4]])
    features = {"gene_features": torch.rand(N_GENES, 3), "pert_features": torch.rand(9, 3)}
    with torch.no_grad():
        one = tiny_model(3, **features).eval()(perts)
        two = tiny_model(3, **features).eval()(perts)
    assert torch.equal(one, two)
    model = tiny_model(knn_edge_index=knn_edges(features["gene_features"], 2)[0], **features)
    assert model.pool_edge_attr.shape[1] == 3 and model.pool_edge_attr[:, 2].sum() > 0


def test_loss_terms_name_fit_centred_and_l0_parts():
    model = tiny_model()
    batch = Batch(torch.tensor([[0, 3], [6, -1], [0, 3]]), torch.randn(3, N_GENES),
                  torch.ones(3, N_GENES, dtype=torch.bool), torch.tensor([0, 1, 0]))  # fmt: skip
    torch.manual_seed(0)
    base = model.loss_terms(batch)
    assert set(base) == {"mse", "centered", "l0"} and base["l0"] > 0
    model.config.l0_lambda = 10.0
    torch.manual_seed(0)
    heavier = model.loss_terms(batch)
    assert heavier["l0"].item() == pytest.approx(1000 * base["l0"].item(), rel=1e-5)
    assert heavier["mse"].item() == pytest.approx(base["mse"].item())
    heavier["l0"].backward()
    assert model.edge_mlp[-1].bias.grad[0] > 0  # the penalty pushes log α down, on pool edges
    assert model.entry_mlp[-1].bias.grad[0] > 0  # and on entry edges


def test_subgraph_gives_the_model_back_in_its_mode():
    model = tiny_model()
    model.train()
    model.subgraph([0])
    model.learned_edges([6])
    assert model.training
    model.eval()
    model.subgraph([0])
    assert not model.training


def _gates(model: AdaPert, log_alpha: float, rho: float) -> None:
    """Every gate at σ(log α) and every edge weight tanh(ρ), entries and pool edges alike."""
    with torch.no_grad():
        for gate in (model.entry_mlp, model.edge_mlp):
            gate[-1].weight.zero_()
            gate[-1].bias.copy_(torch.tensor([log_alpha, rho]))


def test_learned_edges_threshold_the_deterministic_gate_and_rank_by_flow():
    model = tiny_model()
    edges = model.subgraph([6])
    assert {e.kind for e in edges} == {"entry", "pool"}
    assert [(e.source, e.target) for e in edges if e.kind == "entry"] == [(6, 2)]
    gates = sorted(e.gate for e in edges)
    learned = model.learned_edges([6], threshold=gates[2])
    assert len(learned) == len(edges) - 2
    assert [e.flow for e in learned] == sorted((e.flow for e in learned), reverse=True)
    _gates(model, -5.0, 1.0)
    assert model.learned_edges([6], 0.01) == []
    _gates(model, 5.0, 1.0)
    assert len(model.learned_edges([6], 0.99)) == len(edges)


def test_an_isolated_target_gets_a_learned_subgraph():
    model = tiny_model()
    learned = model.learned_edges([8])
    assert learned and all(e.gate >= 0.5 for e in learned)
    assert {e.target for e in learned if e.kind == "entry"} == set(range(N_GENES))


def test_flows_by_hand():
    model = tiny_model(hops=1)
    _gates(model, 5.0, 0.5)
    with torch.no_grad():
        r = model.perturbation_embeddings()
        p = model.pert_fuse(r[6].unsqueeze(0))
        seed = model.seed_mlp(torch.cat([p, r[6].unsqueeze(0)], 1))[0]
        entry = math.tanh(0.5) * float(seed.norm())
        pool = math.tanh(0.5) * float(model.messages[0](math.tanh(0.5) * seed).norm())
    flows = {(e.kind, e.source, e.target): e.flow for e in model.subgraph([6])}
    assert flows == pytest.approx({("entry", 6, 2): entry, ("pool", 2, 1): pool,
                                   ("pool", 2, 3): pool})  # fmt: skip
    _gates(model, 5.0, 0.0)  # open gates, zero edge weight: nothing flows
    assert all(e.flow == 0 for e in model.subgraph([6]))


def test_pool_flows_are_zero_where_the_perturbation_does_not_reach_the_source():
    model = tiny_model(hops=2)
    _gates(model, 5.0, 1.0)
    pool = model.pool_edge_index.T.tolist()
    with torch.no_grad():  # shut 0 → 1 only: gene 1 gets no signal, so 1 → 2 carries none
        model.edge_bias[pool.index([0, 1]), 0] = -20.0
    flows = {(e.source, e.target): e.flow for e in model.subgraph([0]) if e.kind == "pool"}
    assert flows[(0, 1)] == 0 and flows[(1, 0)] == 0 and flows[(1, 2)] == 0
    assert flows[(0, 5)] > 0 and flows[(5, 0)] > 0  # 0 → 5 open: 5 is reached, 5 → 0 carries


def test_parameter_groups_and_l0_schedule():
    model = tiny_model()
    model.config.gate_lr, model.config.l0_warmup, model.config.l0_ramp = 0.05, 0.25, 0.5
    rest, gate = model.parameter_groups(1e-3)
    assert gate["lr"] == 0.05 and "lr" not in rest
    assert any(p is model.edge_bias for p in gate["params"])
    assert any(p is model.entry_mlp[-1].weight for p in gate["params"])
    assert len(rest["params"]) + len(gate["params"]) == len(list(model.parameters()))
    scales = []
    for epoch in range(8):
        model.on_round(epoch, 8)
        scales.append(model.l0_scale)
    assert scales == pytest.approx([0, 0, 0.25, 0.5, 0.75, 1, 1, 1])


def test_edge_auprc_against_a_hand_made_truth():
    scored = [(0, 1, 0.9), (1, 2, 0.8), (2, 3, 0.3), (3, 4, 0.1)]
    result = edge_auprc(scored, {(0, 1), (2, 3), (9, 9)})
    # precision at the two hits: 1/1 and 2/3 → AP = (1 + 2/3) / 2; random = 2 of 4 candidates
    assert result["auprc"] == pytest.approx((1 + 2 / 3) / 2)
    assert result["random"] == 0.5
    assert result["n_candidates"] == 4 and result["n_positive"] == 2
    assert math.isnan(edge_auprc(scored, set())["auprc"])
