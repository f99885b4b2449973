import numpy as np
import pytest
import torch
from torch_geometric.data import Data, HeteroData

from priorgraph.core.errors import ExportFileError
from priorgraph.queries.export import Export
from priorgraph.queries.export_coexpression import build_multigraph, graphs


def small_data(weight: float = 0.5) -> Data:
    return Data(
        edge_index=torch.tensor([[0, 1], [1, 2]]),
        edge_weight=torch.tensor([weight, 1.0]),
        num_nodes=3,
    )


def test_hash_changes_with_weights_and_ids_but_not_with_meta():
    ids = {"node": ["human:A", "human:B", "human:C"]}
    base = Export(small_data(), ids, {"k": 20})
    assert base.content_hash == Export(small_data(), ids, {"k": 99}).content_hash
    assert base.content_hash != Export(small_data(0.6), ids).content_hash
    assert (
        base.content_hash
        != Export(small_data(), {"node": ["human:A", "human:C", "human:B"]}).content_hash
    )


def test_save_and_load_round_trip_with_id_map(tmp_path):
    export = Export(small_data(), {"node": ["human:A", "human:B", "human:C"]}, {"graph": "go"})
    path = export.save(tmp_path / "go.pt")
    assert (tmp_path / "go.pt.ids.tsv").read_text().splitlines() == [
        "node_type\trow\tid", "node\t0\thuman:A", "node\t1\thuman:B", "node\t2\thuman:C",
    ]  # fmt: skip
    loaded = Export.load(path)
    assert loaded.content_hash == export.content_hash
    assert loaded.index()["human:C"] == 2
    assert torch.equal(loaded.data.edge_weight, torch.tensor([0.5, 1.0]))


def test_hetero_exports_hash_every_store():
    data = HeteroData()
    data["gene"].num_nodes = 2
    data["peak"].num_nodes = 1
    data["peak", "linked_to", "gene"].edge_index = torch.tensor([[0], [1]])
    ids = {"gene": ["human:A", "human:B"], "peak": ["hg38:chr1:1-2"]}
    first = Export(data, ids)
    data["peak", "linked_to", "gene"].edge_index = torch.tensor([[0], [0]])
    assert Export(data, ids).content_hash != first.content_hash


def test_every_kind_round_trips_through_a_plain_file(tmp_path):
    hetero = HeteroData()
    hetero["gene"].num_nodes = 2
    hetero["peak"].num_nodes = 1
    hetero["peak", "linked_to", "gene"].edge_index = torch.tensor([[0], [1]])
    hetero["peak", "linked_to", "gene"].edge_weight = torch.tensor([0.25])
    several = build_multigraph(
        {"a": [("human:A", "human:B", 0.5)], "b": [("human:B", "human:C", -0.75)]}
    )
    exports = {
        "data": Export(small_data(), {"node": ["human:A", "human:B", "human:C"]}, {"k": 20}),
        "hetero": Export(hetero, {"gene": ["human:A", "human:B"], "peak": ["hg38:chr1:1-2"]}),
        "several": several,
    }
    for name, export in exports.items():
        loaded = Export.load(export.save(tmp_path / f"{name}.pt"))
        assert type(loaded.data) is type(export.data)
        assert (loaded.node_ids, loaded.meta, loaded.content_hash) == (
            export.node_ids, export.meta, export.content_hash,
        )  # fmt: skip
    loaded = Export.load(tmp_path / "several.pt")
    assert [g.gene.tolist() for g in graphs(loaded)] == [[0, 1], [1, 2]]
    assert graphs(loaded)[1].edge_attr.tolist() == [-0.75]


def test_meta_is_stored_as_plain_data(tmp_path):
    export = Export(small_data(), {"node": ["a", "b", "c"]}, {"k": np.int64(20), "t": (1, 2)})
    loaded = Export.load(export.save(tmp_path / "go.pt"))
    assert loaded.meta == {"k": 20, "t": [1, 2]} and type(loaded.meta["k"]) is int


def test_a_pickled_pyg_object_or_a_modified_file_is_refused(tmp_path):
    old = tmp_path / "old.pt"
    torch.save({"data": small_data(), "node_ids": {"node": ["a", "b", "c"]}, "meta": {},
                "content_hash": "x"}, old)  # fmt: skip
    with pytest.raises(ExportFileError) as caught:
        Export.load(old)
    assert str(caught.value).startswith(f"{old}: cannot be loaded safely (WeightsUnpickler error")
    assert "export it again" in str(caught.value) and "\n" not in str(caught.value)
    path = Export(small_data(), {"node": ["a", "b", "c"]}).save(tmp_path / "go.pt")
    saved = torch.load(path)
    saved["edge_weight"] = torch.tensor([0.9, 1.0])
    torch.save(saved, path)
    with pytest.raises(ExportFileError, match="content does not match its saved hash"):
        Export.load(path)
    torch.save({"edge_index": torch.zeros(2, 0)}, path)
    with pytest.raises(ExportFileError, match="not a priorgraph export"):
        Export.load(path)
