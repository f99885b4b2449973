"""Issue 15 item 1 / issue 12 item 3: every file priorgraph exports loads with plain
``torch.load(path)`` (torch's default ``weights_only=True``) in a fresh Python, gives a PyG
object back with ``from_dict`` and carries its id maps inside; nothing in it can run code."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import torch

from priorgraph.ingest.coexpression import write_dataset_coexpression
from priorgraph.models.gears import GEARS, GEARSConfig
from priorgraph.models.train import save_checkpoint
from priorgraph.queries.export import Export
from priorgraph.queries.export_coexpression import coexpression_export, multigraph_export
from priorgraph.queries.export_guidance import GuidanceTables, to_heterodata
from priorgraph.queries.features import GeneFeatures

# What a user types in a fresh Python: torch's defaults, PyG's from_dict, nothing of priorgraph.
LOAD_EVERY_FILE = textwrap.dedent(
    """
    import json, sys
    import torch
    import torch_geometric
    from torch_geometric.data import Data, HeteroData

    out = {}
    go = Data.from_dict(torch.load(sys.argv[1] + "/go.pt"))
    out["go"] = [type(go).__name__, go.node_ids, go.edge_weight.tolist(), go.meta["k"]]
    co = Data.from_dict(torch.load(sys.argv[1] + "/coexp.pt"))
    out["coexp"] = [co.node_ids, co.edge_attr.tolist(), co.meta["dataset"]]
    saved = torch.load(sys.argv[1] + "/graphs.pt")
    graphs = [Data.from_dict(g) for g in saved["graphs"]]
    out["graphs"] = [saved["node_ids"], [g.gene.tolist() for g in graphs],
                     saved["meta"]["datasets"]]
    hetero = HeteroData.from_dict(torch.load(sys.argv[1] + "/guidance.pt"))
    edge = hetero["peak", "linked_to", "gene"]
    out["guidance"] = [type(hetero).__name__, hetero["gene"].node_ids, hetero["peak"].node_ids,
                       edge.edge_index.tolist(), hetero.meta["assembly"]]
    features = Data.from_dict(torch.load(sys.argv[1] + "/features.pt"))
    out["features"] = [features.node_ids, features.x.tolist(), features.present.tolist()]
    state = torch.load(sys.argv[1] + "/run/model.pt")
    out["checkpoint"] = [sorted(state)[:2], all(torch.is_tensor(v) for v in state.values())]
    print(json.dumps(out))
    """
)


def test_every_export_loads_with_plain_torch_load_in_a_fresh_python(cli, graph, tmp_path, tiny_obo):
    (tmp_path / "ann.tsv").write_text("KLF1\tGO:0000001\nGATA1\tGO:0000001\nTAL1\tGO:0000002\n")
    (tmp_path / "genes.txt").write_text("KLF1\nGATA1\nTAL1\n")
    loaded = cli("ingest", "go", "--obo", tiny_obo, "--table", tmp_path / "ann.tsv")
    assert loaded.exit_code == 0, loaded.output
    exported = cli("export", "go-graph", "--genes", tmp_path / "genes.txt", "--k", "2",
                   "--threshold", "0", "--out", tmp_path / "go.pt")  # fmt: skip
    assert exported.exit_code == 0, exported.output

    write_dataset_coexpression(graph, "ds1", [("KLF1", "GATA1", -0.5, 1)])
    write_dataset_coexpression(graph, "ds2", [("GATA1", "TAL1", 0.75, 1)])
    coexpression_export(graph, "ds1", "all").save(tmp_path / "coexp.pt")
    multigraph_export(graph, ["ds1", "ds2"]).save(tmp_path / "graphs.pt")
    tables = GuidanceTables(
        "hg38", "human", None,
        genes=pd.DataFrame({"id": ["human:KLF1", "human:TAL1"], "name": ["KLF1", "TAL1"]}),
        peaks=pd.DataFrame({"id": ["hg38:chr19:1-100"], "name": ["chr19:1-100"]}),
        edges=pd.DataFrame({"peak": ["hg38:chr19:1-100"], "gene": ["human:TAL1"],
                            "weight": [0.5], "sign": [1], "method": ["window"]}),
    )  # fmt: skip
    to_heterodata(tables).save(tmp_path / "guidance.pt")
    matrix = np.array([[0.5, 1.0], [0.0, 0.0]], np.float32)
    features = GeneFeatures(["human:KLF1", "human:FOO"], matrix, np.array([True, False]),
                            "genept", "zero")  # fmt: skip
    features.save(tmp_path / "features.pt")
    torch.manual_seed(0)
    model = GEARS(n_genes=2, n_perts=2, go_edge_index=torch.tensor([[0, 1], [1, 0]]),
                  go_edge_weight=torch.ones(2), coexp_edge_index=torch.tensor([[0], [1]]),
                  coexp_edge_weight=torch.ones(1), pert_to_gene=torch.tensor([0, 1]),
                  config=GEARSConfig(hidden=4))  # fmt: skip
    save_checkpoint(tmp_path / "run", model)

    run = subprocess.run(
        [sys.executable, "-c", LOAD_EVERY_FILE, str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    go_kind, go_ids, go_weights, go_k = out["go"]
    assert (go_kind, go_ids, go_k) == ("Data", ["human:KLF1", "human:GATA1", "human:TAL1"], 2)
    assert len(go_weights) == 5 and set(go_weights) == {1.0}  # KLF1–GATA1 both ways + 3 selves
    assert out["coexp"] == [["human:GATA1", "human:KLF1"], [-0.5], "ds1"]
    assert out["graphs"] == [
        ["human:GATA1", "human:KLF1", "human:TAL1"], [[0, 1], [0, 2]], ["ds1", "ds2"]
    ]  # fmt: skip
    assert out["guidance"] == [
        "HeteroData", ["human:KLF1", "human:TAL1"], ["hg38:chr19:1-100"], [[0], [1]], "hg38"
    ]  # fmt: skip
    assert out["features"] == [["human:KLF1", "human:FOO"], [[0.5, 1.0], [0.0, 0.0]],
                               [True, False]]  # fmt: skip
    assert out["checkpoint"][1] is True and len(out["checkpoint"][0]) == 2
    for name in ("go", "coexp", "graphs", "guidance"):  # and priorgraph reads them back, checked
        assert Export.load(tmp_path / f"{name}.pt").content_hash
