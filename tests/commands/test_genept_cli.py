import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location(
    "fake_openai", Path(__file__).parents[1] / "ingest" / "fake_openai.py"
)
fake_openai = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_openai)


def test_ingest_similar_and_export_features(cli, graph, tmp_path):
    emb = tmp_path / "e.csv"
    emb.write_text(",0,1\nctrl,0,0\nKLF1,1,0\nGATA1,0.8,0.6\nTAL1,0.6,0.8\n")
    refused = cli("ingest", "genept", emb, "--model", "m", "--reference", "none")
    assert refused.exit_code == 1 and "e.csv:2 (ctrl): unknown gene symbol" in refused.output
    graph.write("UNWIND ['KLF1', 'GATA1', 'TAL1'] AS s "
                "CREATE (:Gene {id: 'human:' + s, symbol: s, species: 'human'})")  # fmt: skip
    ok = cli("ingest", "genept", emb, "--model", "m", "--reference", "none", "--skip-unknown")
    assert ok.exit_code == 0, ok.output
    assert "stored 3 genept vectors (m, 2-d)" in ok.output and "skipped unknown" in ok.output
    similar = cli("similar-genes", "KLF1", "-k", "2", "--format", "json")
    assert [(r["symbol"], r["cosine"]) for r in json.loads(similar.output)] == [
        ("GATA1", 0.8),
        ("TAL1", 0.6),
    ]
    missing = cli("similar-genes", "NOPE")
    assert missing.exit_code == 1 and "human:NOPE is not in the graph" in missing.output
    ids = tmp_path / "ids.txt"
    ids.write_text("TAL1\nFOO\n")
    failed = cli("export", "gene-features", "--ids", ids, "--out", tmp_path / "f.npz")
    assert failed.exit_code == 1 and "1 of 2 genes have no genept embedding" in failed.output
    out = tmp_path / "f.npz"
    done = cli("export", "gene-features", "--ids", ids, "--out", out, "--fill", "zero")
    assert done.exit_code == 0 and "1 of 2 rows (50%) zero-filled" in done.output
    assert "no genept embedding: human:FOO" in done.output
    saved = np.load(tmp_path / "f.npz")
    assert saved["matrix"].tolist() == [[pytest.approx(0.6), pytest.approx(0.8)], [0, 0]]
    assert saved["ids"].tolist() == ["human:TAL1", "human:FOO"]


def test_embed_through_an_openai_compatible_server_and_store(cli, graph, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    summaries = tmp_path / "s.json"
    summaries.write_text(json.dumps({"KLF1": "aaa", "GATA1": "bbbb"}))
    with fake_openai.FakeOpenAI() as server:
        plan = cli("embed", summaries, "--base-url", server.base_url, "--dry-run")
        assert "2 texts, 0 cached, 2 to embed, ≈ 2 tokens" in plan.output
        assert server.requests == []
        run = cli("embed", summaries, "--base-url", server.base_url, "--out", tmp_path / "e.npz",
                  "--store")  # fmt: skip
        assert run.exit_code == 0, run.output
        again = cli("embed", summaries, "--base-url", server.base_url, "--dry-run")
        assert "2 cached, 0 to embed" in again.output
    assert len(server.embedding_requests) == 1
    saved = np.load(tmp_path / "e.npz")
    assert saved["genes"].tolist() == ["KLF1", "GATA1"] and str(saved["model"]) == (
        "text-embedding-ada-002"
    )
    assert graph.read("MATCH (g:Gene {symbol: 'GATA1'}) RETURN g.genept AS v") == [
        {"v": [4.0, 0.0, 1.0]}
    ]


def test_embed_cells_with_an_embedding_file_separates_two_cell_types(tmp_path):
    """GenePT-w from a file (no server): type-A cells express G0/G1, type-B cells G2/G3."""
    import anndata
    from click.testing import CliRunner

    from priorgraph.cli import main

    rng = np.random.default_rng(0)
    n = 40
    x = rng.poisson(0.2, size=(n, 6)).astype(np.float32)
    x[: n // 2, :2] += 8
    x[n // 2 :, 2:4] += 8
    adata = anndata.AnnData(x)
    adata.var_names = [f"G{i}" for i in range(6)]
    adata.obs["cell_type"] = ["A"] * (n // 2) + ["B"] * (n // 2)
    adata.write_h5ad(tmp_path / "cells.h5ad")
    emb = tmp_path / "emb.csv"
    emb.write_text(",0,1\nG0,1,0\nG1,1,0\nG2,0,1\nG3,0,1\nG4,0.5,0.5\nG5,0.5,0.5\n")
    out = tmp_path / "cells.npz"
    result = CliRunner().invoke(
        main,
        ["embed-cells", str(tmp_path / "cells.h5ad"), "--embeddings", str(emb),
         "--label", "cell_type", "--out", str(out), "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "6 of 6 genes have an embedding" in result.output
    cells = np.load(out)
    assert cells["GenePT_w"].shape == (n, 2)
    assert cells["GenePT_w"][0, 0] > cells["GenePT_w"][0, 1]  # type A leans to G0/G1's vector
    assert cells["GenePT_w"][-1, 1] > cells["GenePT_w"][-1, 0]
    rows = json.loads(result.output[result.output.index("[") :])
    by_name = {r["representation"]: r for r in rows}
    assert by_name["GenePT-w"]["knn_accuracy"] == 1.0
