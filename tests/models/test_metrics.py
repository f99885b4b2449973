import numpy as np
import pytest

from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.core.splits import Split
from priorgraph.models import metrics as m

C = np.array([1.0, 1.0, 1.0, 1.0])  # control
Y = np.array([2.0, 1.0, 0.0, 1.0])  # observed: delta [1, 0, -1, 0]
P = np.array([1.5, 1.0, 1.0, 2.0])  # predicted: delta [0.5, 0, 0, 1]
W = np.array([1, 9, 4, 0]) / 14  # deg_weights([1, -3, 2, 0])


def test_pearson_delta_by_hand():
    # centred deltas: [1, 0, -1, 0] and [0.125, -0.375, -0.375, 0.625]: cov 0.5, ss 2 and 0.6875
    assert m.pearson_delta(P, Y, C) == pytest.approx(0.5 / np.sqrt(2 * 0.6875))
    assert m.pearson_delta_top20_de(P, Y, C, np.array([0, 2])) == pytest.approx(1.0)
    assert m.pearson_delta(C, Y, C) == 0.0  # constant prediction: 0, as GEARS reports


def test_mse_top20_non_dropout_and_its_no_change_normalisation_by_hand():
    genes = np.array([0, 1, 2])
    assert m.mse(P, Y, genes) == pytest.approx((0.25 + 0 + 1) / 3)
    assert m.mse(C, Y, genes) == pytest.approx((1 + 0 + 1) / 3)
    assert m.mse(P, Y, genes) / m.mse(C, Y, genes) == pytest.approx(0.625)


def test_frac_opposite_direction_by_hand():
    all_genes = np.arange(4)
    assert m.frac_opposite_direction(P, Y, C, all_genes) == 0.0  # 0 vs - is not "opposite"
    flipped = np.array([0.5, 1.0, 2.0, 1.0])  # delta [-0.5, 0, 1, 0]
    assert m.frac_opposite_direction(flipped, Y, C, all_genes) == 0.5


def test_l2_over_top_expressed_by_hand():
    assert m.l2_distance(P, Y, np.array([0, 2])) == pytest.approx(np.sqrt(0.25 + 1))


def test_deg_weights_weighted_mse_and_weighted_delta_r2_by_hand():
    assert m.deg_weights(np.array([1.0, -3.0, 2.0, 0.0])) == pytest.approx(W)
    assert m.deg_weights(np.zeros(3)).tolist() == [0, 0, 0]
    assert m.weighted_mse(P, Y, W) == pytest.approx((0.25 / 14) + (4 / 14) * 1)
    # d = [1, 0, -1, 0], d_hat = [0.5, 0, 0, 1], weighted mean of d = (1 - 4) / 14
    ss_res = 0.25 / 14 + 4 / 14
    ss_tot = (1 / 14) * (17 / 14) ** 2 + (9 / 14) * (3 / 14) ** 2 + (4 / 14) * (11 / 14) ** 2
    assert m.weighted_delta_r2(P, Y, C, W) == pytest.approx(1 - ss_res / ss_tot)
    assert m.weighted_delta_r2(Y, Y, C, W) == pytest.approx(1.0)


def test_mean_collapse_by_hand():
    mu = np.array([1.0, 0, 0, 0])
    assert m.mean_collapse(P, C, mu) == pytest.approx(0.5**2 / (1.25 * 1))
    assert m.mean_collapse(C + 3 * mu, C, mu) == pytest.approx(1.0)
    assert np.isnan(m.mean_collapse(C, C, mu))


def test_de_overlap_and_discrimination_scores_by_hand():
    control = np.zeros(4)
    # predicted top-2 changes: genes 3 and 0; true DE genes 0 and 1 → half of them found
    assert m.de_overlap(np.array([0.5, 0.1, 0.0, -2.0]), control, np.array([0, 1])) == 0.5
    observed = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])
    predicted = np.array([[0.9, 0, 0], [0.5, 0.5, 0], [0, 0, 0]])
    # row 0 closest to its own; row 1 ties with 0 (1.0 vs 1.0), beats 2; row 2 ties all three
    assert m.discrimination_scores(predicted, observed).tolist() == [0.0, 0.25, 0.5]
    assert np.isnan(m.discrimination_scores(predicted[:1], observed[:1])).all()


def test_evaluate_per_perturbation_and_subgroup():
    genes = ["a", "b", "c", "d"]
    pb = Pseudobulk(
        dataset="t", genes=genes, conditions=["a+ctrl", "b+ctrl"], targets=[("a",), ("b",)],
        means=np.vstack([Y, C + np.array([0, 2, 0, 0])]), n_cells=np.array([5, 5]), control_mean=C,
        perturbed_mean=C, n_control=5, normalisation="log_normalised",
        de_order=np.array([[0, 2, 1, 3], [1, 0, 2, 3]]),
        de_scores=np.zeros((2, 4)), rest_scores=np.array([[1, -3, 2, 0], [0, 1, 0, 0.0]]),
        non_zero=np.ones((2, 4), bool), non_dropout=np.array([[1, 0, 1, 1], [1, 1, 1, 1]], bool),
        variances=np.ones((2, 4)), control_variance=np.ones(4),
    )  # fmt: skip
    split = Split("s", "t", "simulation", 1, ["ctrl"], [], ["a+ctrl", "b+ctrl"],
                  subgroups={"unseen_single": ["a+ctrl", "b+ctrl"]})  # fmt: skip
    mu = np.array([1.0, 0, 0, 0])
    result = m.evaluate({"a+ctrl": P, "b+ctrl": C}, pb, split, mu, n_top=2, n_expressed=2)
    a = result.per_perturbation["a+ctrl"]
    assert a["pearson_delta_top20_de"] == pytest.approx(1.0)  # DE genes 0 and 2
    assert a["mse_top20_de_non_dropout"] == pytest.approx((0.25 + 1) / 2)  # non-dropout 0, 2
    assert a["mse_top20_de_non_dropout_norm"] == pytest.approx(1.25 / 2)
    assert a["l2_top_expressed"] == pytest.approx(np.sqrt(0.25))  # ties: genes 0 and 1
    assert a["weighted_mse"] == pytest.approx(4.25 / 14)
    assert a["mean_collapse"] == pytest.approx(0.2)
    assert np.isnan(result.per_perturbation["b+ctrl"]["mean_collapse"])
    group = result.per_subgroup["unseen_single"]
    assert group["n"] == 2
    assert group["mean_collapse"] == pytest.approx(0.2)  # NaN skipped
    b_mse = result.per_perturbation["b+ctrl"]["mse_top20_de_non_dropout"]
    assert group["mse_top20_de_non_dropout"] == pytest.approx((0.625 + b_mse) / 2)
    assert result.summary() == result.per_subgroup["all"]
