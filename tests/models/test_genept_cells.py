import numpy as np
import pytest
from scipy import sparse

from priorgraph.core.errors import UsageError
from priorgraph.models import genept_cells

VECTORS = {"A": np.array([1.0, 0.0]), "B": np.array([0.0, 1.0])}


def test_genept_w_is_the_expression_weighted_unit_mean():
    x = sparse.csr_matrix([[3.0, 1.0, 5.0], [0.0, 0.0, 2.0], [1.0, 1.0, 0.0]])
    z = genept_cells.genept_w(x, ["A", "B", "NOEMB"], VECTORS)
    # cell 0: (3·[1,0] + 1·[0,1]) / 4 = [0.75, 0.25] → / ‖·‖ = [3, 1] / √10
    assert z[0] == pytest.approx(np.array([3, 1]) / np.sqrt(10))
    assert z[1].tolist() == [0.0, 0.0]  # expresses no embedded gene
    assert z[2] == pytest.approx(np.array([1, 1]) / np.sqrt(2))
    with pytest.raises(UsageError, match="non-negative"):
        genept_cells.genept_w(np.array([[-1.0, 0.0]]), ["A", "B"], VECTORS)


def test_gene_sentences_rank_genes_by_expression():
    x = np.array([[0.0, 2.0, 5.0, 2.0], [1.0, 0.0, 0.0, 0.0]])
    assert genept_cells.gene_sentences(x, ["A", "C", "B", "D"]) == ["B C D", "A"]
    assert genept_cells.gene_sentences(x, ["A", "C", "B", "D"], top_n=1) == ["B", "A"]


def test_evaluation_separates_clean_clusters_and_reports_pca_alongside():
    rng = np.random.default_rng(0)
    labels = np.repeat(["t", "b", "mono"], 30)
    centres = {"t": [5, 0, 0], "b": [0, 5, 0], "mono": [0, 0, 5]}
    good = np.array([centres[c] for c in labels]) + rng.normal(0, 0.3, (90, 3))
    noise = rng.normal(0, 1, (90, 3))
    rows = genept_cells.evaluate({"good": good, "noise": noise}, labels, k=5, folds=3)
    assert [r["representation"] for r in rows] == ["good", "noise"]
    assert rows[0]["knn_accuracy"] == 1.0 and rows[0]["kmeans_ari"] == 1.0
    assert rows[0]["kmeans_ami"] == 1.0
    assert rows[1]["knn_accuracy"] < 0.6 and rows[1]["kmeans_ari"] < 0.2
    assert genept_cells.pca(good, n_components=2).shape == (90, 2)
