import numpy as np
import pytest

from priorgraph.core.errors import UsageError
from priorgraph.models.graph_gp import GraphGP, GraphGPConfig, incidence, pair_kernel
from priorgraph.models.predictor import TrainingSet
from priorgraph.queries.gene_similarity import GeneKernel

GENES = ["a", "b", "c", "d"]
KERNEL = GeneKernel(
    "toy",
    GENES,
    np.array(
        [[1.0, 0.6, 0.0, 0.0], [0.6, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.3], [0.0, 0.0, 0.3, 1.0]]
    ),
)


def training_set(targets, deltas, noise, control_noise, control=None):
    deltas = np.asarray(deltas, dtype=float)
    control = np.zeros(deltas.shape[1]) if control is None else control
    return TrainingSet(genes=[f"g{j}" for j in range(deltas.shape[1])], control=control,
                       conditions=["+".join(t) for t in targets], targets=list(targets),
                       means=control + deltas, mean_variances=np.asarray(noise, dtype=float),
                       control_mean_variance=np.asarray(control_noise, dtype=float))  # fmt: skip


def test_pair_kernel_and_incidence_by_hand():
    k = KERNEL.matrix
    column = {g: i for i, g in enumerate(GENES)}
    assert incidence([("a",), ("a", "c")], GENES).tolist() == [[1, 0, 0, 0], [1, 0, 1, 0]]
    pk = pair_kernel([("a", "c"), ("b",)], [("b", "d"), ("a", "c")], k, column)
    # ½ (K_ab K_cd + K_ad K_cb) = ½ (0.6·0.3 + 0) ; a pair with itself: ½ (1·1 + 0)
    assert pk.tolist() == [[pytest.approx(0.09), pytest.approx(0.5)], [0.0, 0.0]]


def exact_posterior(model, train, test, alpha, interaction):
    """The GP posterior of the module doc computed directly (no eigen-decomposition)."""
    genes = sorted({g for t in (*train.targets, *test) for g in t})
    k = alpha * KERNEL.submatrix(genes) + (1 - alpha) * np.eye(len(genes))
    column = {g: i for i, g in enumerate(genes)}

    def cov(x, y):
        return (incidence(x, genes) @ k @ incidence(y, genes).T
                + interaction * pair_kernel(x, y, k, column))  # fmt: skip

    y = train.deltas
    sizes = np.array([len(t) for t in train.targets])[:, None]
    mu = (y / sizes).mean(0)
    residual = y - sizes * mu
    noise = train.mean_variances
    s2 = np.maximum((residual**2).mean(0) - noise.mean(0), 1e-8)
    means, sds = [], []
    for j in range(y.shape[1]):
        c = s2[j] * cov(train.targets, train.targets) + np.diag(noise[:, j])
        c += train.control_mean_variance[j]
        cross = s2[j] * cov(test, train.targets)
        means.append(
            np.array([len(t) for t in test]) * mu[j] + cross @ np.linalg.solve(c, residual[:, j])
        )
        prior = s2[j] * np.diag(cov(test, test))
        sds.append(np.sqrt(prior - np.einsum("ij,ji->i", cross, np.linalg.solve(c, cross.T))))
    return np.array(means).T, np.array(sds).T


def test_fit_matches_the_exact_posterior_when_the_noise_is_separable():
    rng = np.random.default_rng(0)
    targets = [("a",), ("c",), ("d",), ("a", "c"), ("b", "d")]
    deltas = rng.normal(size=(5, 3)) * [1.0, 0.5, 2.0]
    base = rng.uniform(0.05, 0.2, size=5)  # v_Sj = v̄_S · r_j, exactly separable
    per_gene = np.array([1.0, 2.0, 0.5])
    noise = base[:, None] * per_gene
    control_noise = 0.1 * per_gene
    train = training_set(targets, deltas, noise, control_noise)
    config = GraphGPConfig(alpha=0.8, interaction=0.5)
    model = GraphGP(kernel=KERNEL, config=config).fit(train)
    test = [("b",), ("a", "b"), ("c",), ("b", "c")]
    mean, sd = exact_posterior(model, train, test, 0.8, 0.5)
    np.testing.assert_allclose(model.predict_deltas(test), mean, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(model.predict_sd(test), sd, rtol=1e-5, atol=1e-9)


def test_noise_decides_how_much_a_measured_single_is_trusted():
    targets = [("a",), ("c",), ("d",)]
    deltas = np.array([[2.0], [0.0], [-2.0]])
    quiet = GraphGP(kernel=KERNEL).fit(training_set(targets, deltas, [[1e-6]] * 3, [1e-6]))
    noisy = GraphGP(kernel=KERNEL).fit(training_set(targets, deltas, [[1e3]] * 3, [1e-6]))
    assert quiet.predict_deltas([("a",)])[0, 0] == pytest.approx(2.0, abs=1e-3)
    # with noise far above the signal the single shrinks to the mean single change μ = 0
    assert abs(noisy.predict_deltas([("a",)])[0, 0]) < 0.05


def test_an_unmeasured_target_borrows_from_similar_measured_ones_only():
    targets = [("a",), ("c",), ("d",)]
    deltas = np.array([[3.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    model = GraphGP(kernel=KERNEL).fit(training_set(targets, deltas, [[1e-4] * 2] * 3, [1e-4] * 2))
    mu = deltas.mean(0)
    b = model.predict_deltas([("b",)])[0]  # b is like a (0.6), unlike c and d (0)
    assert b[0] - mu[0] > 0.5 * (3.0 - mu[0])  # moves towards a's change
    assert b[1] == pytest.approx(mu[1], abs=1e-6)  # a says nothing about gene 1
    # an unmeasured target linked to nothing predicts μ with the prior's full uncertainty
    alone = GeneKernel("id", ["a", "c", "d", "e"], np.eye(4))
    isolated = GraphGP(kernel=alone).fit(training_set(targets, deltas, [[1e-4] * 2] * 3,
                                                      [1e-4] * 2))  # fmt: skip
    np.testing.assert_allclose(isolated.predict_deltas([("e",)])[0], mu, atol=1e-9)
    assert (isolated.predict_sd([("e",)]) > isolated.predict_sd([("a",)])).all()


def test_combinations_are_additive_unless_the_data_show_an_interaction():
    targets = [("a",), ("b",), ("c",), ("d",), ("a", "c")]
    additive = np.array([[1.0], [0.8], [-1.0], [0.5], [0.0]])
    additive[4] = additive[0] + additive[2]
    tiny = [[1e-6]] * 5
    model = GraphGP(kernel=KERNEL, config=GraphGPConfig(interaction=0.5)).fit(
        training_set(targets, additive, tiny, [1e-6])
    )
    pair = model.predict_deltas([("b", "d")])[0, 0]
    assert pair == pytest.approx(0.8 + 0.5, abs=0.02)
    # the same design where a+c came out far below additive: b+d (a pair like a+c) follows it
    buffered = additive.copy()
    buffered[4] = 0.2 * (additive[0] + additive[2]) - 1.0
    model = GraphGP(kernel=KERNEL, config=GraphGPConfig(interaction=0.5)).fit(
        training_set(targets, buffered, tiny, [1e-6])
    )
    assert model.predict_deltas([("b", "d")])[0, 0] < pair - 0.1
    assert model.config() == {"model": "graph_gp", "kernel": "toy", "alpha": 0.9,
                              "interaction": 0.5}  # fmt: skip


def test_bad_configuration_and_missing_noise_are_usage_errors():
    with pytest.raises(UsageError, match="alpha"):
        GraphGPConfig(alpha=1.5)
    train = training_set([("a",)], [[1.0]], [[0.1]], [0.1])
    train.mean_variances = None
    with pytest.raises(UsageError, match="standard errors"):
        GraphGP(kernel=KERNEL).fit(train)
