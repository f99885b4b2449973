"""GO exports that need no graph: GEARS's CSV of a GO graph export."""

import csv

import torch
from torch_geometric.data import Data

from priorgraph.queries.export import HOMOGENEOUS, Export
from priorgraph.queries.export_go import write_gears_csv


def test_gears_csv_lists_every_edge_and_gives_isolated_genes_a_self_loop(tmp_path):
    nodes = ["human:KLF1", "human:GATA1", "human:IER5L", "human:TAL1"]
    edges = torch.tensor([[0, 1, 1, 3, 0], [0, 0, 1, 0, 1]])  # source → target, self-loops incl.
    weight = torch.tensor([1.0, 0.25, 1.0, 0.5, 0.25])
    export = Export(Data(edge_index=edges, edge_weight=weight, num_nodes=4), {HOMOGENEOUS: nodes})
    path = write_gears_csv(export, tmp_path / "go.csv")
    with open(path) as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["source", "target", "importance"]
    got = [(s, t, float(w)) for s, t, w in rows[1:]]
    # by target, then importance (largest first): IER5L (no GO annotation) and TAL1 (no
    # incoming edge) get self-loops so that GEARS keeps them as perturbable genes
    assert got == [
        ("GATA1", "GATA1", 1.0), ("KLF1", "GATA1", 0.25),
        ("IER5L", "IER5L", 1.0),
        ("KLF1", "KLF1", 1.0), ("TAL1", "KLF1", 0.5), ("GATA1", "KLF1", 0.25),
        ("TAL1", "TAL1", 1.0),
    ]  # fmt: skip
    again = write_gears_csv(export, tmp_path / "again.csv")
    assert again.read_text() == path.read_text()
