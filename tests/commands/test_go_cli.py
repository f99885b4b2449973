import json

import anndata
import numpy as np

from priorgraph.queries.export import Export

OBO = """format-version: 1.2

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
name: obsolete thing
is_obsolete: true
replaced_by: GO:0000002
"""


def test_ingest_build_export_end_to_end(cli, graph, tmp_path):
    (tmp_path / "go.obo").write_text(OBO)
    table = tmp_path / "t.tsv"
    table.write_text("KLF1\tGO:0000002\nGATA1\tGO:0000003\nGATA1\tGO:0000001\nTAL1\tGO:0009999\n")
    failed = cli("ingest", "go", "--obo", tmp_path / "go.obo", "--table", table)
    assert failed.exit_code == 1
    assert f"{table}:4: unknown GO id GO:0009999 (gene TAL1)" in failed.output
    assert graph.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]

    report = tmp_path / "report.json"
    ok = cli("ingest", "go", "--obo", tmp_path / "go.obo", "--table", table,
             "--on-error", "skip", "--report", report)  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "2 genes, 3 annotations" in ok.output and "1 remapped" in ok.output
    summary = json.loads(report.read_text())
    assert summary["problems"] == [f"{table}:4: unknown GO id GO:0009999 (gene TAL1)"]
    assert summary["remapped"][0]["to"] == "GO:0000002"

    built = cli("go-graph", "build", "--name", "gears", "--k", "1")
    assert built.exit_code == 0 and "2 genes, 4 edges" in built.output
    listed = cli("go-graph", "list", "--format", "json")
    assert json.loads(listed.output)[0]["graph"] == "gears"
    neighbours = cli("query", "go_neighbours", "-p", "gene=human:KLF1",
                     "-p", "go_graph=gears", "--format", "json")  # fmt: skip
    assert [r["neighbour"] for r in json.loads(neighbours.output)] == ["human:KLF1", "human:GATA1"]

    genes = tmp_path / "genes.txt"
    genes.write_text("KLF1\nGATA1\nTAL1\n")
    out = tmp_path / "go.pt"
    known = ["--gene-reference", "none"]  # the graph's genes only: TAL1 is unknown
    refused = cli("export", "go-graph", "--genes", genes, "--k", "20", "--out", out, *known)
    assert refused.exit_code == 1
    assert "gene list: 1 gene name(s) of human not found: TAL1" in refused.output
    known.extend(["--unknown-genes", "warn"])
    exported = cli("export", "go-graph", "--genes", genes, "--k", "20", "--out", out, *known)
    assert exported.exit_code == 0, exported.output
    assert "gene list: 1 unknown (TAL1)" in exported.output
    bundle = Export.load(out)
    assert bundle.node_ids["node"] == ["human:KLF1", "human:GATA1", "human:TAL1"]
    assert bundle.meta["unannotated"] == ["human:TAL1"]
    assert bundle.data.num_nodes == 3 and bundle.data.edge_index.shape == (2, 4)

    gears = cli("export", "go-graph", "--genes", genes, "--k", "20", "--format", "gears",
                "--out", tmp_path / "go.csv", *known)  # fmt: skip
    assert gears.exit_code == 0, gears.output
    rows = (tmp_path / "go.csv").read_text().splitlines()
    assert rows[0] == "source,target,importance" and len(rows) == 1 + 5
    # TAL1 (isolated) gets a self edge, so that GEARS keeps it as a perturbable gene
    assert {tuple(r.split(",")[:2]) for r in rows[1:]} == {
        (s, t) for s in ("KLF1", "GATA1") for t in ("KLF1", "GATA1")
    } | {("TAL1", "TAL1")}

    # bioLORD layout: the control and one observation per single perturbation, GO-neighbour
    # vectors in obsm over the whole perturbation universe
    cells = anndata.AnnData(np.arange(24, dtype=np.float32).reshape(8, 3))
    cells.var_names = ["KLF1", "GATA1", "TAL1"]
    cells.obs["condition"] = ["ctrl", "ctrl", "KLF1+ctrl", "KLF1+ctrl", "GATA1+ctrl",
                              "GATA1+ctrl", "KLF1+TAL1", "KLF1+TAL1"]  # fmt: skip
    cells.write_h5ad(tmp_path / "cells.h5ad")
    biolord = cli("export", "biolord-go", "--h5ad", tmp_path / "cells.h5ad", "--normalise",
                  "none", "--genes", genes, "--out", tmp_path / "biolord.h5ad", *known)  # fmt: skip
    assert biolord.exit_code == 0, biolord.output
    assert "control + 2 single perturbations × 3 genes (expression: as given)" in biolord.output
    out = anndata.read_h5ad(tmp_path / "biolord.h5ad")
    assert list(out.obs_names) == ["ctrl", "GATA1+ctrl", "KLF1+ctrl"]
    np.testing.assert_allclose(out.X[2], [7.5, 8.5, 9.5])  # mean of the two KLF1 cells
    # TAL1 is perturbed only with KLF1, yet a column and a target of its own
    assert list(out.uns["go_neighbours_genes"]) == ["human:KLF1", "human:GATA1", "human:TAL1"]
    assert list(out.uns["go_neighbours_targets"]) == ["GATA1", "KLF1", "TAL1"]
    assert out.obsm["go_neighbours"].shape == (3, 3) and out.obsm["go_neighbours"][0].sum() == 0
    counts = cli("export", "biolord-go", "--h5ad", tmp_path / "cells.h5ad",
                 "--out", tmp_path / "biolord_counts.h5ad", *known)  # fmt: skip
    assert "expression: log1p(counts / total * 1e4)" in counts.output


def test_empty_annotation_file_is_an_error(cli, tmp_path):
    (tmp_path / "go.obo").write_text(OBO)
    (tmp_path / "empty.gaf").write_text("")
    result = cli("ingest", "go", "--obo", tmp_path / "go.obo", "--gaf", tmp_path / "empty.gaf")
    assert result.exit_code == 1
    assert f"{tmp_path / 'empty.gaf'}:0: empty file" in result.output
