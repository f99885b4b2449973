import anndata as ad
import numpy as np
import pandas as pd
import pytest
import torch

from priorgraph.core.errors import UsageError
from priorgraph.ingest import go
from priorgraph.ingest.go_graph import GOGraphSpec, build_go_graph
from priorgraph.kg import cypher
from priorgraph.queries.export import Export
from priorgraph.queries.export_go import (
    biolord_anndata,
    condition_targets,
    go_graph_export,
    perturbation_features,
    perturbation_universe,
)

# root GO:0000001 <- GO:0000002 <- GO:0000003 (is_a); GO:0000003 part_of GO:0000004 (is_a root)
OBO = """format-version: 1.2
data-version: test

[Term]
id: GO:0000001
name: root
namespace: biological_process

[Term]
id: GO:0000002
name: child
namespace: biological_process
is_a: GO:0000001

[Term]
id: GO:0000003
name: grandchild
namespace: biological_process
is_a: GO:0000002
relationship: part_of GO:0000004

[Term]
id: GO:0000004
name: other
namespace: biological_process
is_a: GO:0000001

[Term]
id: GO:0000010
name: binding
namespace: molecular_function
"""

# J(A,B) = 2/3, J(A,C) = 1/3, J(B,C) = 1/4... see the expected values below
TABLE = """gene\tgo_id
A\tGO:0000003
A\tGO:0000010
B\tGO:0000003
B\tGO:0000010
B\tGO:0000004
C\tGO:0000010
D\tGO:0000002
"""


@pytest.fixture
def go_graph(graph, tmp_path):
    (tmp_path / "t.obo").write_text(OBO)
    (tmp_path / "t.tsv").write_text(TABLE)
    go.ingest_go(graph, obo=tmp_path / "t.obo", annotations=tmp_path / "t.tsv", kind="table",
                 source="go.table", progress=False)  # fmt: skip
    build_go_graph(graph, GOGraphSpec("g", k=2), progress=False)
    return graph


def q(graph, name, **params):
    return cypher.run(graph, name, **params)


EXPLORATION = {
    "go_shared_terms": {"gene": "human:A", "min_shared": 1, "limit": 10},
    "go_neighbours": {"gene": "human:A", "go_graph": "g"},
    "go_genes_under_term": {"term": "GO:0000002"},
    "go_term_path": {"from": "GO:0000002", "to": "GO:0000004"},
    "go_top_genes": {"namespace": "biological_process", "limit": 2},
    "go_term_ancestors": {"term": "GO:0000003"},
    "go_gene_annotations": {"gene": "human:C", "include_inferred": False},
    "go_term_search": {"text": "child", "limit": 5},
    "go_graphs": {},
    "go_graph_edges": {"go_graph": "g", "genes": ["human:A", "human:B"], "max_rank": 3},
}


def test_the_go_exploration_queries_are_read_queries_that_answer(go_graph):
    """Ten GO exploration queries, each a read query (``priorgraph query`` lists and runs it)
    that takes exactly the parameters given here and finds rows in the small GO graph."""
    assert set(EXPLORATION) <= set(cypher.names(mode="read"))
    for name, params in EXPLORATION.items():
        assert cypher.get(name).parameters == tuple(sorted(params)), name
        assert q(go_graph, name, **params), f"{name} found nothing"


def test_exploration_queries(go_graph):
    g = go_graph
    assert q(g, "go_shared_terms", gene="human:A", min_shared=1, limit=10) == [
        {"gene": "human:B", "n_shared": 2, "shared": ["GO:0000003", "GO:0000010"]},
        {"gene": "human:C", "n_shared": 1, "shared": ["GO:0000010"]},
    ]
    assert q(g, "go_shared_terms", gene="human:A", min_shared=2, limit=10)[0]["gene"] == "human:B"
    neighbours = q(g, "go_neighbours", gene="human:A", go_graph="g")
    assert [(r["neighbour"], r["rank"], round(r["jaccard"], 4), sorted(r["shared_terms"]))
            for r in neighbours] == [
        ("human:A", 1, 1.0, ["binding", "grandchild"]),
        ("human:B", 2, 0.6667, ["binding", "grandchild"]),
        ("human:C", 3, 0.5, ["binding"]),
    ]  # fmt: skip
    under = q(g, "go_genes_under_term", term="GO:0000002")
    assert [(r["gene"], r["via"]) for r in under] == [
        ("human:A", ["GO:0000003"]), ("human:B", ["GO:0000003"]), ("human:D", ["GO:0000002"]),
    ]  # fmt: skip
    assert [r["gene"] for r in q(g, "go_genes_under_term", term="GO:0000004")] == [
        "human:A",
        "human:B",
    ]
    path = q(g, "go_term_path", **{"from": "GO:0000002", "to": "GO:0000004"})
    assert path[0]["length"] == 2 and path[0]["terms"][0] == "GO:0000002"
    assert path[0]["terms"][-1] == "GO:0000004" and len(path[0]["relations"]) == 2
    assert q(g, "go_top_genes", namespace="biological_process", limit=2) == [
        {"gene": "human:B", "n_terms": 2},
        {"gene": "human:A", "n_terms": 1},
    ]
    assert q(g, "go_term_ancestors", term="GO:0000003") == [
        {"term": "GO:0000002", "name": "child", "namespace": "biological_process", "distance": 1},
        {"term": "GO:0000004", "name": "other", "namespace": "biological_process", "distance": 1},
        {"term": "GO:0000001", "name": "root", "namespace": "biological_process", "distance": 2},
    ]
    annotations = q(g, "go_gene_annotations", gene="human:C", include_inferred=False)
    assert annotations == [{"term": "GO:0000010", "name": "binding",
                            "namespace": "molecular_function", "evidence": None,
                            "source": "go.table", "inferred": False}]  # fmt: skip
    search = q(g, "go_term_search", text="CHILD", limit=5)
    assert [(r["term"], r["n_genes"]) for r in search] == [("GO:0000003", 2), ("GO:0000002", 1)]
    (info,) = q(g, "go_graphs")
    assert (info["graph"], info["k"], info["n_genes"], info["n_unannotated"]) == ("g", 2, 4, 0)
    assert info["annotation_source"] is None and info["n_edges"] == 10


def test_export_go_graph_values_and_unannotated(go_graph):
    genes = ["human:C", "human:A", "human:Z", "human:B"]
    export = go_graph_export(go_graph, genes, k=1)
    assert export.node_ids == {"node": genes}
    assert export.meta["unannotated"] == ["human:Z"]
    data = export.data
    assert data.num_nodes == 4
    edges = sorted(zip(*data.edge_index.tolist(), data.edge_weight.tolist(), strict=True))
    # into C: C (1) and A (J = 1/2, listed before B with 1/3); into A: A, B (2/3); into B: B, A
    assert [(genes[s], genes[t], round(w, 4)) for s, t, w in edges] == [
        ("human:C", "human:C", 1.0), ("human:A", "human:C", 0.5), ("human:A", "human:A", 1.0),
        ("human:A", "human:B", 0.6667), ("human:B", "human:A", 0.6667),
        ("human:B", "human:B", 1.0),
    ]  # fmt: skip
    dropped = go_graph_export(go_graph, genes, k=1, drop_unannotated=True)
    assert dropped.node_ids["node"] == ["human:C", "human:A", "human:B"]
    assert dropped.data.edge_index.shape == (2, 6)
    assert dropped.content_hash != export.content_hash


def test_export_from_stored_graph_and_saved_bundle(go_graph, tmp_path):
    genes = ["human:A", "human:B", "human:C", "human:D"]
    stored = go_graph_export(go_graph, genes, k=1, graph_name="g")
    computed = go_graph_export(go_graph, genes, k=1)
    assert torch.equal(stored.data.edge_index, computed.data.edge_index)
    assert stored.meta["graph"] == "g" and stored.meta["build"]
    with pytest.raises(UsageError, match="built with k=2 < k=5"):
        go_graph_export(go_graph, genes, k=5, graph_name="g")
    with pytest.raises(UsageError, match="no GO graph named 'nope'"):
        go_graph_export(go_graph, genes, graph_name="nope")
    path = stored.save(tmp_path / "go.pt")
    loaded = Export.load(path)
    assert loaded.content_hash == stored.content_hash
    assert (tmp_path / "go.pt.ids.tsv").read_text().splitlines()[1] == "node\t0\thuman:A"


def test_perturbation_features_and_biolord_layout(go_graph):
    genes = ["human:A", "human:B", "human:C", "human:Z"]
    export = go_graph_export(go_graph, genes, k=1)
    features = perturbation_features(export, ["human:A", "human:Z"])
    np.testing.assert_allclose(features, [[1.0, 2 / 3, 0, 0], [0, 0, 0, 0]], rtol=1e-6)
    with pytest.raises(UsageError, match="not in the GO export"):
        perturbation_features(export, ["human:Q"])
    assert condition_targets("ctrl+A") == ["A"] and condition_targets("A") == ["A"]
    assert condition_targets("A+B") == ["A", "B"] and condition_targets("ctrl") == []
    assert perturbation_universe(["A+ctrl", "ctrl", "C+B", "A+C"]) == ["A", "B", "C"]
    cells = ad.AnnData(
        X=np.array([[1, 0], [3, 2], [5, 5], [2, 2], [9, 9]], dtype=np.float32),
        obs=pd.DataFrame(
            {"condition": ["A+ctrl", "A+ctrl", "ctrl+B", "ctrl", "C+Z"]},
            index=[f"c{i}" for i in range(5)],
        ),
        var=pd.DataFrame(index=["x", "y"]),
    )
    layout = biolord_anndata(cells, export, normalise="none")
    assert list(layout.obs["gene"]) == ["ctrl", "A", "B"]  # the control row first
    assert list(layout.obs["n_cells"]) == [1, 2, 1]
    np.testing.assert_allclose(layout.X, [[2, 2], [2, 1], [5, 5]])
    np.testing.assert_allclose(layout.obsm["go_neighbours"][0], [0, 0, 0, 0])  # control
    np.testing.assert_allclose(layout.obsm["go_neighbours"][2], [2 / 3, 1, 0, 0], rtol=1e-6)
    assert layout.uns["go_neighbours_genes"] == genes
    # every target of the universe has its vector, also C and Z, perturbed only together
    assert list(layout.uns["go_neighbours_targets"]) == ["A", "B", "C", "Z"]
    np.testing.assert_allclose(
        layout.uns["go_neighbours_target_vectors"], perturbation_features(export, genes)
    )
    assert layout.uns["priorgraph_go_export"]["content_hash"] == export.content_hash
    assert layout.uns["priorgraph_go_export"]["expression"] == "as given"
    # raw counts are log-normalised per cell (to 1e4) before they are averaged
    normalised = biolord_anndata(cells, export)
    assert normalised.uns["priorgraph_go_export"]["expression"].startswith("log1p")
    a_cells = np.log1p(np.array([[1, 0], [3, 2]]) / np.array([[1], [5]]) * 1e4)
    np.testing.assert_allclose(normalised.X[1], a_cells.mean(axis=0), rtol=1e-5)
    with pytest.raises(UsageError, match="no control cells"):
        biolord_anndata(cells, export, control="control")


def test_export_resolves_gene_names_and_reports_unknown_ones(go_graph):
    """Names of any kind in the gene list; an unknown name is an error, or an isolated node
    under its given name, never a silent "unannotated"."""
    from priorgraph.core.errors import GeneListError
    from priorgraph.ingest.gene_resolution import GeneReference, GeneResolver

    reference = GeneReference("human", previous={"OLDA": ("A", None)})
    reference.add_genes([("A", "ENSG00000000001"), ("B", None), ("C", None)], "test")
    resolver = GeneResolver(reference)
    names = ["human:OLDA", "B", "ENSG00000000001", "NOTAGENE7"]
    with pytest.raises(GeneListError, match="gene list: 1 gene name.*not found: NOTAGENE7"):
        go_graph_export(go_graph, names, k=1, resolver=resolver)
    export = go_graph_export(go_graph, names, k=1, resolver=resolver, unknown_genes="warn")
    assert export.node_ids["node"] == ["human:A", "human:B", "NOTAGENE7"]
    assert export.meta["gene_names"]["renamed"] == {"OLDA": "A", "ENSG00000000001": "A"}
    assert export.meta["gene_names"]["unknown"] == ["NOTAGENE7"]
    assert export.meta["duplicates"] == ["ENSG00000000001"]
    assert export.meta["unannotated"] == ["NOTAGENE7"]
    plain = go_graph_export(go_graph, ["human:A", "human:B", "NOTAGENE7"], k=1)
    assert torch.equal(plain.data.edge_index, export.data.edge_index)


def test_paged_reads_give_the_same_export(go_graph):
    genes = ["human:D", "human:B", "human:A", "human:C"]
    for name in (None, "g"):
        whole = go_graph_export(go_graph, genes, k=1, graph_name=name)
        paged = go_graph_export(go_graph, genes, k=1, graph_name=name, page=1)
        assert paged.content_hash == whole.content_hash
