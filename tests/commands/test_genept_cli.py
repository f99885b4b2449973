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
    assert done.exit_code == 0 and "missing: human:FOO" in done.output
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
