import numpy as np
import pytest
import scipy.sparse as sp

from priorgraph.core.errors import UsageError
from priorgraph.models.simulate import SimulationConfig, propagate, save, simulate

TINY = SimulationConfig(n_genes=30, n_singles=6, n_doubles=8, cells_per_condition=40,
                        control_cells=200, interaction_rate=0.5, seed=3)  # fmt: skip


def test_propagation_follows_the_regulatory_chain():
    # gene0 -> gene1 (0.5), gene1 -> gene2 (-0.4)
    w = sp.csr_matrix(np.array([[0, 0.5, 0], [0, 0, -0.4], [0, 0, 0]]))
    shock = np.array([-1.0, 0, 0])
    np.testing.assert_allclose(propagate(w, shock, 0), [-1, 0, 0])
    np.testing.assert_allclose(propagate(w, shock, 1), [-1, -0.5, 0])
    np.testing.assert_allclose(propagate(w, shock, 2), [-1, -0.5, 0.2])


def test_conditions_counts_and_seed():
    sim = simulate(TINY)
    conditions = sim.adata.obs["condition"].value_counts()
    assert conditions["ctrl"] == 200
    assert len(conditions) == 1 + 6 + 8
    assert set(conditions.drop("ctrl")) == {40}
    x = sim.adata.X.toarray()
    assert np.array_equal(x, np.round(x)) and x.min() >= 0
    again = simulate(TINY)
    assert (sim.adata.X != again.adata.X).nnz == 0
    assert sim.network.equals(again.network)


def test_network_overlaps_the_prior_by_the_requested_fraction():
    genes = [f"G{i:04d}" for i in range(30)]
    prior = [(genes[i], genes[(i + 1) % 30]) for i in range(30)]
    config = SimulationConfig(n_genes=30, n_singles=4, n_doubles=2, regulators_per_gene=1.0,
                              overlap=0.4, seed=1)  # fmt: skip
    sim = simulate(config, genes=genes, prior_edges=prior)
    edges = set(zip(sim.network.regulator, sim.network.target, strict=True))
    assert len(edges) == 30
    assert len(edges & set(prior)) == 12  # round(0.4 * 30)
    assert all(a != b for a, b in edges)


def test_doubles_are_additive_except_the_interacting_ones():
    sim = simulate(TINY)
    assert sim.interacting
    for name in sim.deltas.index:
        if "ctrl" in name:
            continue
        a, b = name.split("+")
        additive = sim.deltas.loc[f"{a}+ctrl"] + sim.deltas.loc[f"{b}+ctrl"]
        gap = np.abs(sim.deltas.loc[name] - additive).max()
        assert (gap > 0.1) == (name in sim.interacting), name


def test_knocked_down_gene_is_lower_than_in_control():
    sim = simulate(TINY)
    single = next(c for c in sim.deltas.index if c.endswith("+ctrl"))
    gene = single.split("+")[0]
    x = sim.adata[:, gene].X.toarray().ravel()
    cond = sim.adata.obs["condition"].to_numpy()
    assert x[cond == single].mean() < 0.5 * x[cond == "ctrl"].mean()


def test_save_writes_data_and_truth(tmp_path):
    paths = save(simulate(TINY), tmp_path / "sim.h5ad")
    assert paths["network"].read_text().splitlines()[0] == "regulator\ttarget\tweight"
    assert paths["adata"].exists() and paths["deltas"].exists()


def test_too_many_singles_is_refused():
    with pytest.raises(UsageError, match="exceeds the 30 genes"):
        simulate(SimulationConfig(n_genes=30, n_singles=31))
