import anndata
import numpy as np
import pytest

from priorgraph.ingest import coexpression


def modules_adata(n_cells: int = 300, seed: int = 0) -> anndata.AnnData:
    """Genes M1_0..3 follow one factor, M2_0..3 another, N0..3 are noise (log-scale values)."""
    rng = np.random.default_rng(seed)
    f1, f2 = rng.normal(size=(2, n_cells, 1))
    noise = rng.normal(size=(3, n_cells, 4))
    x = np.hstack([f1 + 0.3 * noise[0], f2 + 0.3 * noise[1], noise[2]]) + 5
    genes = (
        [f"M1_{i}" for i in range(4)] + [f"M2_{i}" for i in range(4)] + [f"N{i}" for i in range(4)]
    )
    adata = anndata.AnnData(x.astype(np.float32))
    adata.var_names = genes
    adata.obs["part"] = np.where(np.arange(n_cells) % 2, "a", "b")
    return adata


def test_counts_are_log_normalised_and_log_data_kept():
    counts = anndata.AnnData(np.array([[1.0, 3.0], [0.0, 2.0]]))
    expr = coexpression.log_expression(counts)
    assert expr.x[0].tolist() == pytest.approx(np.log1p([2500.0, 7500.0]).tolist())
    logged = anndata.AnnData(np.array([[0.5, 1.2], [0.0, 2.0]]))
    assert coexpression.log_expression(logged).x.tolist() == [[0.5, 1.2], [0.0, 2.0]]


def test_highly_variable_keeps_small_panels_and_drops_constant_genes():
    x = np.array([[1.0, 2.0, 3.0], [1.0, 5.0, 0.0], [1.0, 0.0, 1.0]])
    expr = coexpression.highly_variable(coexpression.Expression(x, ["c", "a", "b"]), 10)
    assert expr.genes == ["a", "b"]


def test_dataset_edges_link_modules_and_not_across():
    edges = coexpression.dataset_edges(modules_adata(), k=3, threshold=0.4)
    pairs = {(s, t) for s, t, _, _ in edges}
    assert ("M1_1", "M1_0") in pairs and ("M1_0", "M1_0") in pairs
    assert not any(s[:2] != t[:2] for s, t in pairs)  # no M1–M2 or noise links


def test_store_replaces_a_data_set_graph(graph):
    adata = modules_adata()
    for part in ("a", "b"):
        cells = (adata.obs["part"] == part).to_numpy()
        edges = coexpression.dataset_edges(adata, cells=cells, k=3)
        counts = coexpression.write_dataset_coexpression(graph, f"toy_{part}", edges)
    assert counts["COEXPRESSED"].relationships_created == len(edges)
    again = coexpression.write_dataset_coexpression(graph, "toy_b", edges)  # replaces, no growth
    assert again["Gene"].nodes_created == 0
    n = graph.read("MATCH ()-[r:COEXPRESSED {dataset: 'toy_b'}]->() RETURN count(r) AS n")
    assert n[0]["n"] == len(edges)
