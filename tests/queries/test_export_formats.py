"""GEARS's GO-graph CSV (queries/export_formats.py), read back the way GEARS reads it."""

import pandas as pd
import torch
from torch_geometric.data import Data

from priorgraph.queries.export import Export
from priorgraph.queries.export_formats import write_gears_csv


def test_gears_csv_has_symbols_the_exports_weights_and_every_gene(tmp_path):
    # edges source -> target: A -> A (1), B -> A (2/3), B -> B (1), A -> B (2/3); C isolated
    data = Data(edge_index=torch.tensor([[0, 1, 1, 0], [0, 0, 1, 1]]),
                edge_weight=torch.tensor([1.0, 2 / 3, 1.0, 2 / 3]), num_nodes=3)  # fmt: skip
    export = Export(data, {"node": ["human:A", "human:B", "human:C"]})
    path = write_gears_csv(export, tmp_path / "out" / "go.csv")
    frame = pd.read_csv(path)  # as gears.utils.get_similarity_network reads it
    assert list(frame.columns) == ["source", "target", "importance"]
    # C (no GO annotation) gets a self edge so that GEARS keeps it as a perturbable gene
    assert frame[["source", "target"]].values.tolist() == [["A", "A"], ["B", "A"], ["B", "B"],
                                                           ["A", "B"], ["C", "C"]]  # fmt: skip
    assert torch.equal(torch.tensor(frame["importance"].values[:4], dtype=torch.float32),
                       data.edge_weight)  # fmt: skip
    assert frame["importance"].iloc[4] == 1.0
    # GEARS keeps the k + 1 largest sources of each target: with k = 0, the self edges
    top = frame.sort_values("importance", ascending=False, kind="stable").groupby("target").head(1)
    assert sorted(top["source"]) == ["A", "B", "C"]
