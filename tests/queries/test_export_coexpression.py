import anndata
import numpy as np
import pytest
import torch

from priorgraph.core.errors import UsageError
from priorgraph.ingest import coexpression
from priorgraph.queries.export import Export
from priorgraph.queries.export_coexpression import (
    build_multigraph,
    coexpression_export,
    graphs,
    multigraph_export,
)


def test_multigraph_shares_one_gene_index():
    export = build_multigraph(
        {"A": [("g:b", "g:a", 0.9), ("g:c", "g:a", -0.5)], "B": [("g:d", "g:b", 0.7)]}
    )
    assert export.node_ids["node"] == ["g:a", "g:b", "g:c", "g:d"]
    a, b = graphs(export)
    assert a.gene.tolist() == [0, 1, 2] and b.gene.tolist() == [1, 3]
    assert b.edge_index.tolist() == [[1], [0]]  # local: g:d → g:b
    assert a.edge_attr.tolist() == pytest.approx([0.9, -0.5])
    assert a.edge_weight.tolist() == pytest.approx([0.9, 0.5])
    assert export.meta["datasets"] == ["A", "B"]


def test_multigraph_save_load_keeps_hash(tmp_path):
    export = build_multigraph({"A": [("g:b", "g:a", 0.9)], "B": [("g:a", "g:c", 0.4)]})
    loaded = Export.load(export.save(tmp_path / "m.pt"))
    assert loaded.content_hash == export.content_hash
    pairs = zip(graphs(loaded), graphs(export), strict=True)
    assert [torch.equal(x.gene, y.gene) for x, y in pairs] == [True, True]


def test_stored_graphs_are_exported_alone_or_together(graph):
    rng = np.random.default_rng(0)
    f = rng.normal(size=(200, 1))
    x = np.hstack([f + 0.3 * rng.normal(size=(200, 3)), rng.normal(size=(200, 3))]) + 5
    adata = anndata.AnnData(x.astype(np.float32))
    adata.var_names = ["A0", "A1", "A2", "N0", "N1", "N2"]
    for name, cells in (("toy_a", slice(0, 100)), ("toy_b", slice(100, 200))):
        edges = coexpression.dataset_edges(adata[cells], k=3)
        coexpression.write_dataset_coexpression(graph, name, edges)
    export = multigraph_export(graph, ["toy_a", "toy_b"])
    assert len(graphs(export)) == 2
    assert set(export.node_ids["node"]) <= {f"human:{g}" for g in adata.var_names}
    single = coexpression_export(graph, "toy_a", coexpression.ALL_CELLS)
    assert single.data.edge_index.shape[1] == graphs(export)[0].edge_index.shape[1]
    assert (single.data.edge_weight == single.data.edge_attr.abs()).all()
    with pytest.raises(UsageError, match="no COEXPRESSED edges for data set 'nope'"):
        multigraph_export(graph, ["nope"])
