import pytest
import torch
from torch import nn

from priorgraph.models.base import Batch
from priorgraph.models.gears import GEARS, GEARSConfig, gears_loss, gears_loss_terms
from priorgraph.models.layers import per_perturbation, perturbed_gene_mask, pool_perturbations

N_GENES, N_PERTS = 5, 6


def tiny_model(seed: int = 0, embedding_init: float = 0.01, **kwargs) -> GEARS:
    torch.manual_seed(seed)
    go = torch.tensor([[0, 1, 2, 3, 4, 5, 1, 2], [1, 0, 3, 2, 5, 4, 2, 1]])
    coexp = torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])
    pert_to_gene = torch.tensor([0, 1, 2, 3, 4, -1])  # perturbation gene 5 is not measured
    return GEARS(n_genes=N_GENES, n_perts=N_PERTS, go_edge_index=go,
                 go_edge_weight=torch.full((8,), 0.5), coexp_edge_index=coexp,
                 coexp_edge_weight=torch.ones(4), pert_to_gene=pert_to_gene,
                 config=GEARSConfig(hidden=8, embedding_init=embedding_init), **kwargs)  # fmt: skip


def test_pooling_and_flags_ignore_padding():
    emb = torch.arange(12.0).reshape(6, 2)
    perts = torch.tensor([[1, -1], [1, 2], [5, -1]])
    assert pool_perturbations(emb, perts).tolist() == [[2, 3], [6, 8], [10, 11]]
    flags = perturbed_gene_mask(perts, torch.tensor([0, 1, 2, 3, 4, -1]), N_GENES)
    assert flags.tolist() == [[0, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 0, 0, 0]]


@pytest.mark.parametrize("extra", [{}, {"ctrl_mean": torch.rand(N_GENES)},
                                   {"pert_features": torch.rand(N_PERTS, 3)}])  # fmt: skip
def test_output_shape(extra):
    model = tiny_model(**extra).eval()
    out = model(torch.tensor([[0, -1], [1, 2], [5, -1]]))
    assert out.shape == (3, N_GENES)
    assert torch.isfinite(out).all()


def test_unseen_double_goes_through_the_perturbation_mlp():
    model = tiny_model().eval()
    with torch.no_grad():
        a, b, ab, ba = model(torch.tensor([[1, -1], [3, -1], [1, 3], [3, 1]]))
        single = model(torch.tensor([[1]]))[0]
    torch.testing.assert_close(ab, ba)  # a set, not a sequence
    torch.testing.assert_close(single, a)  # padding changes nothing
    assert not torch.allclose(ab, a) and not torch.allclose(ab, b)
    # the double is embedded as the fusion MLP of the sum of its perturbation embeddings ...
    seen = []
    model.pert_fuse.register_forward_hook(lambda _m, inputs, _out: seen.append(inputs[0]))
    with torch.no_grad():
        model(torch.tensor([[1, 3]]))
        r = model.perturbation_embeddings()
        none = model(torch.tensor([[-1]]))[0]  # no perturbation: the shared baseline
    torch.testing.assert_close(seen[0][0], r[1] + r[3])
    # ... so its predicted change is not the sum of the singles' changes (interactions)
    assert not torch.allclose(ab - none, (a - none) + (b - none), atol=1e-4)


def test_the_cross_gene_mlp_ends_in_a_linear_layer_as_in_gears():
    """GEARS's cross-gene MLP has no ReLU after its last layer: its output s may be negative."""
    model = tiny_model()
    assert isinstance(model.cross[-1], nn.Linear)
    with torch.no_grad():
        s = model.cross(torch.randn(64, N_GENES))
    assert (s < 0).any()


def test_seeded_models_are_identical():
    perts = torch.tensor([[0, 2]])
    with torch.no_grad():
        one, two = tiny_model(7).eval()(perts), tiny_model(7).eval()(perts)
        other = tiny_model(8).eval()(perts)
    assert torch.equal(one, two)
    assert not torch.equal(one, other)


PRED = torch.tensor([[1.0, 0.0], [0.5, -1.0], [2.0, 2.0]])
TARGET = torch.tensor([[0.0, 0.0], [1.0, 1.0], [1.0, -1.0]])
CONDITION = torch.tensor([4, 4, 9])


def test_gears_loss_by_hand():
    # |err|^4: [1, 0], [0.0625, 16], [1, 81]; (sign t - sign p)^2: [1, 0], [0, 4], [0, 4]
    # condition 4: (1.1 + 0 + 0.0625 + 16.4) / 4 = 4.390625; condition 9: (1 + 81.4) / 2 = 41.2
    loss = gears_loss(PRED, TARGET, condition=CONDITION, gamma=2.0, direction_lambda=0.1)
    assert loss.item() == pytest.approx((4.390625 + 41.2) / 2)
    mask = torch.tensor([[True, True], [True, False], [True, True]])
    masked = gears_loss(PRED, TARGET, condition=CONDITION, mask=mask, gamma=2.0,
                        direction_lambda=0.1)  # fmt: skip
    assert masked.item() == pytest.approx(((1.1 + 0 + 0.0625) / 3 + 41.2) / 2)
    plain = gears_loss(PRED, TARGET, condition=CONDITION, gamma=0.0, direction_lambda=0.0)
    assert plain.item() == pytest.approx(((1 + 0 + 0.25 + 4) / 4 + (1 + 9) / 2) / 2)
    # the two named terms: autofocus (1 + 0 + 0.0625 + 16) / 4 and (1 + 81) / 2, direction
    # 0.1 × ((1 + 0 + 0 + 4) / 4 and (0 + 4) / 2)
    terms = gears_loss_terms(PRED, TARGET, condition=CONDITION, gamma=2.0, direction_lambda=0.1)
    assert terms["autofocus"].item() == pytest.approx((17.0625 / 4 + 41) / 2)
    assert terms["direction"].item() == pytest.approx(0.1 * (5 / 4 + 2) / 2)


def test_soft_direction_term_has_a_gradient():
    hard = PRED.clone().requires_grad_(True)
    gears_loss(hard, TARGET, condition=CONDITION, gamma=0.0, direction_lambda=1.0).backward()
    # the exact sign term is flat: only the squared error moves it, d/dp = 2 (p - t) / n_c / 2
    torch.testing.assert_close(
        hard.grad, torch.tensor([[1 / 4, 0], [-1 / 8, -1 / 2], [1 / 2, 3 / 2]])
    )
    # tanh(p / τ) instead: d/dp [(p - t)^4 + (1 - tanh(p / τ))^2] at p = 0.05, t = 1, τ = 0.1
    pred = torch.tensor([[0.05]], requires_grad=True)
    gears_loss(pred, torch.tensor([[1.0]]), condition=torch.tensor([0]), gamma=2.0,
               direction_lambda=1.0, direction_temperature=0.1).backward()  # fmt: skip
    th = torch.tanh(torch.tensor(0.5))
    expected = 4 * (0.05 - 1) ** 3 - 2 * (1 - th) * (1 - th**2) / 0.1
    assert pred.grad.item() == pytest.approx(expected.item(), rel=1e-5)


def test_loss_terms_backpropagate_to_graph_layers():
    model = tiny_model(ctrl_mean=torch.rand(N_GENES), pert_features=torch.rand(N_PERTS, 3))
    batch = Batch(torch.tensor([[0, -1], [5, 2]]), torch.randn(2, N_GENES),
                  torch.ones(2, N_GENES, dtype=torch.bool), torch.tensor([0, 1]))  # fmt: skip
    terms = model.loss_terms(batch)
    assert set(terms) == {"autofocus", "direction"}
    sum(terms.values()).backward()
    assert model.perturbations.go.layers[0].lin.weight.grad.abs().sum() > 0
    assert model.coexp.layers[0].lin.weight.grad.abs().sum() > 0
    assert model.perturbations.proj.weight.grad.abs().sum() > 0


def test_a_batch_is_decoded_once_per_distinct_perturbation():
    """Cells of the same condition share one forward pass: same result, fewer decoder rows."""
    model = tiny_model().eval()
    perts = torch.tensor([[1, -1], [1, 2], [1, -1], [5, -1], [1, 2]])
    seen = []
    model.decoder.register_forward_hook(lambda _m, inputs, _out: seen.append(inputs[0].shape[0]))
    with torch.no_grad():
        once = per_perturbation(model, perts)
        direct = model(perts)
    assert seen == [3, 5]  # 3 distinct perturbations, then the 5 rows one by one
    torch.testing.assert_close(once, direct)


def test_perturbation_embeddings_start_at_the_configured_scale():
    """R starts near zero (GEARSConfig.embedding_init): a perturbation gene that no training
    condition reaches keeps ≈ the shared bias of the GO layer as its embedding, i.e. the
    response of a typical perturbation, instead of a random one."""
    for init in (0.01, 0.5):
        torch.manual_seed(0)
        model = tiny_model(embedding_init=init)
        assert model.perturbations.emb.std().item() == pytest.approx(init, rel=0.3)
