import pytest
import torch

from priorgraph.models.gears import (
    GEARS,
    GEARSConfig,
    gears_loss,
    perturbed_gene_mask,
    pool_perturbations,
)

N_GENES, N_PERTS = 5, 6


def tiny_model(seed: int = 0, **kwargs) -> GEARS:
    torch.manual_seed(seed)
    go = torch.tensor([[0, 1, 2, 3, 4, 5, 1, 2], [1, 0, 3, 2, 5, 4, 2, 1]])
    coexp = torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])
    pert_to_gene = torch.tensor([0, 1, 2, 3, 4, -1])  # perturbation gene 5 is not measured
    return GEARS(N_GENES, N_PERTS, go, torch.full((8,), 0.5), coexp, torch.ones(4), pert_to_gene,
                 config=GEARSConfig(hidden=8), **kwargs)  # fmt: skip


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
    # the double's embedding is fused, not the sum of the two single outputs
    assert not torch.allclose(ab, a + b)


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
    loss = gears_loss(PRED, TARGET, CONDITION, gamma=2.0, direction_lambda=0.1)
    assert loss.item() == pytest.approx((4.390625 + 41.2) / 2)
    mask = torch.tensor([[True, True], [True, False], [True, True]])
    masked = gears_loss(PRED, TARGET, CONDITION, mask, gamma=2.0, direction_lambda=0.1)
    assert masked.item() == pytest.approx(((1.1 + 0 + 0.0625) / 3 + 41.2) / 2)
    plain = gears_loss(PRED, TARGET, CONDITION, gamma=0.0, direction_lambda=0.0)
    assert plain.item() == pytest.approx(((1 + 0 + 0.25 + 4) / 4 + (1 + 9) / 2) / 2)


def test_soft_direction_term_has_a_gradient():
    hard = PRED.clone().requires_grad_(True)
    gears_loss(hard, TARGET, CONDITION, gamma=0.0, direction_lambda=1.0).backward()
    # the exact sign term is flat: only the squared error moves it, d/dp = 2 (p - t) / n_c / 2
    torch.testing.assert_close(
        hard.grad, torch.tensor([[1 / 4, 0], [-1 / 8, -1 / 2], [1 / 2, 3 / 2]])
    )
    # tanh(p / τ) instead: d/dp [(p - t)^4 + (1 - tanh(p / τ))^2] at p = 0.05, t = 1, τ = 0.1
    pred = torch.tensor([[0.05]], requires_grad=True)
    gears_loss(pred, torch.tensor([[1.0]]), torch.tensor([0]), gamma=2.0, direction_lambda=1.0,
               direction_temperature=0.1).backward()  # fmt: skip
    th = torch.tanh(torch.tensor(0.5))
    expected = 4 * (0.05 - 1) ** 3 - 2 * (1 - th) * (1 - th**2) / 0.1
    assert pred.grad.item() == pytest.approx(expected.item(), rel=1e-5)


def test_training_loss_backpropagates_to_graph_layers():
    from priorgraph.models.train import Batch

    model = tiny_model(ctrl_mean=torch.rand(N_GENES), pert_features=torch.rand(N_PERTS, 3))
    batch = Batch(torch.tensor([[0, -1], [5, 2]]), torch.randn(2, N_GENES),
                  torch.ones(2, N_GENES, dtype=torch.bool), torch.tensor([0, 1]))  # fmt: skip
    model.training_loss(batch).backward()
    assert model.go_layers[0].lin.weight.grad.abs().sum() > 0
    assert model.coexp_layers[0].lin.weight.grad.abs().sum() > 0
    assert model.feature_proj.weight.grad.abs().sum() > 0
