import math

import pytest
import torch

from priorgraph.models.adapert import (
    AdaPert,
    AdaPertConfig,
    candidate_pool,
    deg_aware_loss,
    deg_aware_loss_terms,
    edge_auprc,
    expected_l0,
    hard_concrete,
    knn_edges,
)
from priorgraph.models.base import Batch

N_GENES = 6
CHAIN = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])  # co-expression: 0-1-2-3-4, gene 5 isolated


def tiny_model(seed: int = 0, hops: int = 2, **kwargs) -> AdaPert:
    torch.manual_seed(seed)
    go = torch.tensor([[0, 6, 0], [6, 5, 5]])  # perturbation gene 6 (unmeasured) ~ genes 0 and 5
    pert_to_gene = torch.tensor([0, 1, 2, 3, 4, 5, -1])
    return AdaPert(n_genes=N_GENES, n_perts=7, go_edge_index=go, go_edge_weight=torch.ones(3),
                   coexp_edge_index=CHAIN, coexp_edge_weight=torch.full((4,), 0.7),
                   pert_to_gene=pert_to_gene, config=AdaPertConfig(hidden=8, hops=hops),
                   **kwargs)  # fmt: skip


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


FIVE = [(0, 1), (0, 5), (1, 0), (1, 2), (5, 0)]


def test_candidates_lie_within_hops_of_the_targets():
    model = tiny_model(hops=2)
    pool = model.pool_edge_index.T.tolist()
    ids, seeds = model.candidates([0])  # sources within 1 hop of gene 0: {0, 1, 5 (GO)}
    assert seeds.tolist() == [0]
    assert sorted(tuple(pool[i]) for i in ids.tolist()) == FIVE
    ids, seeds = model.candidates([6])  # unmeasured: enters at its GO neighbours 0 and 5
    assert seeds.tolist() == [0, 5]
    assert len(tiny_model(hops=1).candidates([3])[0]) == 2  # 3→2, 3→4


def test_forward_shapes_and_genes_outside_the_subgraph_do_not_move():
    model = tiny_model(hops=1).eval()
    with torch.no_grad():
        out = model(torch.tensor([[3, -1], [0, 3], [6, -1]]))
    assert out.shape == (3, N_GENES)
    assert out[0, [0, 1, 5]].abs().max() == 0  # one hop from gene 3 reaches 2 and 4 only
    assert out[0, [2, 3, 4]].abs().min() > 0


def test_seeded_models_are_identical_and_features_are_used():
    perts = torch.tensor([[1, 4]])
    features = {"gene_features": torch.rand(N_GENES, 3), "pert_features": torch.rand(7, 3)}
    with torch.no_grad():
        one = tiny_model(3, **features).eval()(perts)
        two = tiny_model(3, **features).eval()(perts)
    assert torch.equal(one, two)
    model = tiny_model(knn_edge_index=knn_edges(features["gene_features"], 2)[0], **features)
    assert model.pool_edge_attr.shape[1] == 3 and model.pool_edge_attr[:, 2].sum() > 0


def test_loss_terms_name_fit_centred_and_l0_parts():
    model = tiny_model()
    batch = Batch(torch.tensor([[0, 3]]), torch.randn(1, N_GENES),
                  torch.ones(1, N_GENES, dtype=torch.bool), torch.tensor([0]))  # fmt: skip
    torch.manual_seed(0)
    base = model.loss_terms(batch)
    assert set(base) == {"mse", "centered", "l0"} and base["l0"] > 0
    model.config.l0_lambda = 10.0
    torch.manual_seed(0)
    heavier = model.loss_terms(batch)
    assert heavier["l0"].item() == pytest.approx(1000 * base["l0"].item(), rel=1e-5)
    assert heavier["mse"].item() == pytest.approx(base["mse"].item())
    heavier["l0"].backward()
    assert model.edge_mlp[-1].bias.grad[0] > 0  # the penalty pushes log α down


def test_edge_scores_and_flows_give_the_model_back_in_its_mode():
    model = tiny_model()
    model.train()
    model.edge_scores([0])
    assert model.training
    model.edge_flows([0])
    model.learned_edges([0])
    assert model.training
    model.eval()
    model.edge_flows([0])
    assert not model.training


def test_learned_edges_threshold_the_deterministic_gate():
    model = tiny_model()
    scored = model.edge_scores([0])
    assert len(scored) == 5
    gates = {(u, v): min(1.0, max(0.0, 1.2 * p - 0.1)) for u, v, p in scored}
    threshold = sorted(gates.values())[2]  # keeps the three strongest
    learned = model.learned_edges([0], threshold=threshold)
    assert {(u, v) for u, v, *_ in learned} == set(sorted(gates, key=lambda e: -gates[e])[:3])
    assert sorted(g for _, _, g, _ in learned) == pytest.approx(sorted(gates.values())[2:])
    flows = {(u, v): f for u, v, f in model.edge_flows([0])}
    assert [f for *_, f in learned] == sorted((flows[u, v] for u, v, *_ in learned), reverse=True)
    with torch.no_grad():  # force every gate shut, then fully open
        model.edge_mlp[-1].weight.zero_()
        model.edge_mlp[-1].bias.copy_(torch.tensor([-5.0, 0.0]))
        assert model.learned_edges([0], 0.01) == []
        model.edge_mlp[-1].bias.copy_(torch.tensor([5.0, 0.0]))
    assert sorted((u, v) for u, v, *_ in model.learned_edges([0], 0.99)) == FIVE


def test_edge_auprc_against_a_hand_made_truth():
    scored = [(0, 1, 0.9), (1, 2, 0.8), (2, 3, 0.3), (3, 4, 0.1)]
    result = edge_auprc(scored, {(0, 1), (2, 3), (9, 9)})
    # precision at the two hits: 1/1 and 2/3 → AP = (1 + 2/3) / 2; random = 2 of 4 candidates
    assert result["auprc"] == pytest.approx((1 + 2 / 3) / 2)
    assert result["random"] == 0.5
    assert result["n_candidates"] == 4 and result["n_positive"] == 2
    assert math.isnan(edge_auprc(scored, set())["auprc"])


def _open_gates(model: AdaPert, rho: float) -> None:
    """Every gate fully open (σ(5)(ζ-γ)+γ > 1) and every edge weight tanh(ρ)."""
    with torch.no_grad():
        model.edge_mlp[-1].weight.zero_()
        model.edge_mlp[-1].bias.copy_(torch.tensor([5.0, rho]))


def test_edge_flows_by_hand():
    model = tiny_model(hops=1)
    _open_gates(model, 0.5)
    with torch.no_grad():
        state = model._gates(torch.tensor([[3]]))["seed_state"][0]  # gene 3's seed state
        expected = math.tanh(0.5) * float(model.messages[0](state).norm())
    flows = model.edge_flows([3])
    assert sorted((u, v) for u, v, _ in flows) == [(3, 2), (3, 4)]
    assert [w for *_, w in flows] == pytest.approx([expected, expected])
    _open_gates(model, 0.0)  # open gates, zero edge weight: nothing flows
    assert all(w == 0 for *_, w in model.edge_flows([3]))


def test_edge_flows_are_zero_where_the_perturbation_does_not_reach_the_source():
    model = tiny_model(hops=2)
    _open_gates(model, 1.0)
    pool = model.pool_edge_index.T.tolist()
    with torch.no_grad():  # shut 0 → 1 only: gene 1 gets no signal, so 1 → 2 carries none
        model.edge_bias[pool.index([0, 1]), 0] = -20.0
    flows = {(u, v): w for u, v, w in model.edge_flows([0])}
    assert flows[(0, 1)] == 0 and flows[(1, 0)] == 0 and flows[(1, 2)] == 0
    assert flows[(0, 5)] > 0 and flows[(5, 0)] > 0  # 0 → 5 open: 5 is reached, 5 → 0 carries


def test_parameter_groups_and_l0_schedule():
    model = tiny_model()
    model.config.gate_lr, model.config.l0_warmup, model.config.l0_ramp = 0.05, 0.25, 0.5
    rest, gate = model.parameter_groups(1e-3)
    assert gate["lr"] == 0.05 and "lr" not in rest
    assert any(p is model.edge_bias for p in gate["params"])
    assert len(rest["params"]) + len(gate["params"]) == len(list(model.parameters()))
    scales = []
    for epoch in range(8):
        model.on_round(epoch, 8)
        scales.append(model.l0_scale)
    assert scales == pytest.approx([0, 0, 0.25, 0.5, 0.75, 1, 1, 1])
