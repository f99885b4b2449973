import json

import anndata
import numpy as np


def write_h5ad(path, seed: int = 0, n_cells: int = 300) -> None:
    """Counts: genes A0..A3 share one factor, B0..B3 another, N0..N1 are noise."""
    rng = np.random.default_rng(seed)
    f = rng.gamma(2.0, 1.0, size=(n_cells, 2))
    rate = np.hstack([np.repeat(f[:, :1], 4, 1) * 20, np.repeat(f[:, 1:], 4, 1) * 20,
                      np.full((n_cells, 2), 20.0)])  # fmt: skip
    adata = anndata.AnnData(rng.poisson(rate).astype(np.float32))
    adata.var_names = [f"A{i}" for i in range(4)] + [f"B{i}" for i in range(4)] + ["N0", "N1"]
    adata.obs["batch"] = np.where(np.arange(n_cells) < n_cells // 2, "one", "two")
    adata.write_h5ad(path)


def test_store_graphs_train_write_back_and_search(cli, graph, tmp_path):
    h5ad = tmp_path / "toy.h5ad"
    write_h5ad(h5ad)
    for part in ("one", "two"):
        done = cli("ingest", "coexpression", h5ad, "--dataset", f"toy_{part}", "--obs-key", "batch",
                   "--obs-value", part, "-k", "3", "--threshold", "0.3")  # fmt: skip
        assert done.exit_code == 0, done.output
        assert f"toy_{part}:" in done.output and "COEXPRESSED edges" in done.output
    out = tmp_path / "run"
    trained = cli("train-musegnn", "--datasets", "toy_one,toy_two", "--out", out, "--epochs", 40,
                  "--hidden", 16, "--dim", 8)  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "stored 10 musegnn vectors (8-d), index gene_musegnn" in trained.output
    run = json.loads((out / "run.json").read_text())
    assert run["datasets"] == ["toy_one", "toy_two"] and run["final"]["loss"] < run["first"]["loss"]
    assert np.load(out / "musegnn.npz")["embeddings"].shape == (10, 8)
    similar = cli("similar-genes", "A0", "-k", "3", "--kind", "musegnn", "--format", "json")
    assert similar.exit_code == 0, similar.output
    rows = json.loads(similar.output)
    assert len(rows) == 3 and {r["symbol"] for r in rows} == {"A1", "A2", "A3"}
    missing = cli("train-musegnn", "--datasets", "nope", "--out", out)
    assert missing.exit_code == 1 and "no COEXPRESSED edges for data set 'nope'" in missing.output
