import math

import numpy as np
import pytest

from priorgraph.core.errors import UsageError
from priorgraph.ingest import genept
from priorgraph.ingest.go_graph import GOGraphSpec, build_go_graph
from priorgraph.kg.writer import Provenance
from priorgraph.queries.gene_similarity import (
    GeneKernel,
    combine,
    genept_kernel,
    go_kernel,
    kernel_embedding,
    nearest_psd,
    thresholded,
)
from priorgraph.queries.perturbation_prior import perturbation_go_graph

# Four genes: A and B share the rare term T1 and the common T9; C has T9 only; D is annotated
# with T2 only; E has no annotation. T9 annotates 3 of 4 annotated genes, T1 2, T2 1.
ANNOTATIONS = {"A": ["T1", "T9"], "B": ["T1", "T9"], "C": ["T9", "T3"], "D": ["T2"]}


def load(graph) -> None:
    graph.write(
        "UNWIND $rows AS row MERGE (g:Gene {id: 'human:' + row.gene}) "
        "SET g.symbol = row.gene, g.species = 'human' "
        "WITH g, row UNWIND row.terms AS term MERGE (t:GOTerm {id: term}) "
        "MERGE (g)-[:ANNOTATED_WITH]->(t)",
        {"rows": [{"gene": g, "terms": t} for g, t in ANNOTATIONS.items()]},
    )
    graph.write("MERGE (:Gene {id: 'human:E', symbol: 'E', species: 'human'})")


def test_go_kernels_weight_terms_by_how_specific_they_are(graph):
    load(graph)
    jaccard = go_kernel(graph, ["A", "B", "C", "D", "E"], measure="jaccard")
    assert jaccard.unannotated == ["E"]
    assert jaccard.values("A", ["B", "C", "D"]).tolist() == [1.0, pytest.approx(1 / 3), 0.0]
    raw = go_kernel(graph, ["A", "B", "C", "D", "E"], threshold=0.0)
    # w_t = log(N / n_t) with N = 4 annotated genes: T1 log 2, T9 log(4/3), T3 log 4
    w1, w9, w3 = math.log(2), math.log(4 / 3), math.log(4)
    a_c = w9**2 / (math.sqrt(w1**2 + w9**2) * math.sqrt(w9**2 + w3**2))
    assert raw.values("A", ["C"])[0] == pytest.approx(a_c, rel=1e-6)
    assert raw.values("A", ["B"])[0] == pytest.approx(1.0)
    assert raw.values("E", ["A"])[0] == 0.0 and raw.matrix[4, 4] == pytest.approx(1.0)
    kept = go_kernel(graph, ["A", "B", "C", "D", "E"], threshold=0.1)
    assert kept.name == "go_idf_cosine>0.1"
    assert np.linalg.eigvalsh(kept.matrix).min() > -1e-9  # a valid covariance
    assert kept.isolated(["A", "C", "D", "E"], ["A", "B", "C", "D", "E"]) == ["C", "D", "E"]
    with pytest.raises(UsageError, match="unknown GO similarity"):
        go_kernel(graph, ["A"], measure="resnik")


def test_thresholding_keeps_a_unit_diagonal_and_positive_semidefinite():
    s = np.array([[1.0, 0.9, 0.05], [0.9, 1.0, 0.5], [0.05, 0.5, 1.0]])
    out = thresholded(s, 0.1)
    assert np.diag(out) == pytest.approx(np.ones(3))
    assert out[0, 2] == pytest.approx(0.0, abs=0.05) and out[0, 1] > out[1, 2] > 0
    indefinite = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]])
    fixed = nearest_psd(indefinite)
    assert np.linalg.eigvalsh(fixed).min() > -1e-9 and np.diag(fixed) == pytest.approx([1, 1, 1])


def test_combined_kernels_and_spectral_embedding():
    a = GeneKernel("a", ["x", "y"], np.array([[1.0, 0.5], [0.5, 1.0]]), ["y"])
    b = GeneKernel("b", ["x", "y"], np.eye(2), ["y"])
    both = combine([a, b], [3, 1])
    assert both.matrix[0, 1] == pytest.approx(0.375) and both.name == "a+b"
    assert both.unannotated == ["y"]
    coords = kernel_embedding(a, dim=2)
    assert list(coords.index) == ["x", "y"]
    np.testing.assert_allclose(coords.to_numpy() @ coords.to_numpy().T, a.matrix, atol=1e-9)
    with pytest.raises(UsageError, match="same genes"):
        combine([a, GeneKernel("c", ["y", "x"], np.eye(2))])


def test_genept_kernel_is_centred_cosine_over_genes_with_a_vector(graph):
    load(graph)
    vectors = np.array([[1.0, 0.1], [0.9, 0.2], [-1.0, 0.0]], dtype=np.float32)
    table = genept.EmbeddingTable("t.csv", ["A", "B", "C"], vectors, "m")
    genept.store(graph, table, Provenance("test", "1"), progress=False)
    kernel = genept_kernel(graph, ["A", "B", "C", "E"])
    assert kernel.unannotated == ["E"] and kernel.matrix[3].tolist() == [0, 0, 0, 1.0]
    assert kernel.values("A", ["B"])[0] > 0.9 and kernel.values("A", ["C"])[0] == 0.0


def test_the_go_prior_spans_the_targets_neighbourhood_of_the_whole_universe(graph):
    load(graph)
    build_go_graph(graph, GOGraphSpec("u", threshold=0.0), progress=False)
    # measured: C only; targets: A (neighbours B, C through shared terms) and E (unannotated)
    for stored in ("u", None):
        prior = perturbation_go_graph(graph, measured=["human:C"], targets=["human:A", "human:E"],
                                      go_graph=stored, hops=1, k=20)  # fmt: skip
        nodes = prior.export.node_ids["node"]
        assert nodes[:3] == ["human:C", "human:A", "human:E"]
        assert set(nodes) == {"human:A", "human:B", "human:C", "human:E"}  # D shares nothing
        assert prior.isolated == ["human:E"]
        assert "1 of 2 targets without a GO neighbour (human:E)" in prior.summary()
    none = perturbation_go_graph(graph, measured=["human:C"], targets=["human:A"], go_graph="u",
                                 hops=0)  # fmt: skip
    assert none.export.node_ids["node"] == ["human:C", "human:A"]
