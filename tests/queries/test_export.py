import torch
from torch_geometric.data import Data, HeteroData

from priorgraph.queries.export import Export


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
