"""The GEARS 0.1.2 peer bench (bench/gears_*.py): shim, labels, comparison, and one real fit."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import gears_peer  # noqa: E402
import gears_shim  # noqa: E402


def test_shim_restores_series_nonzero_and_refuses_pandas_3(monkeypatch):
    monkeypatch.delattr(pd.Series, "nonzero", raising=False)
    gears_shim.apply()
    (positions,) = pd.Series([0, 2, 0, 1]).nonzero()
    assert positions.tolist() == [1, 3]
    # scipy's sparse row selection with a boolean Series, as GEARS does it
    x = sp.csr_matrix(np.arange(8.0).reshape(4, 2))
    assert x[pd.Series([True, False, False, True])].toarray().tolist() == [[0, 1], [6, 7]]
    monkeypatch.setattr(pd, "__version__", "3.0.1")
    with pytest.raises(ImportError, match="pandas >= 2, < 3"):
        gears_shim.apply()


def test_gears_labels():
    assert gears_peer.gears_label(()) == "ctrl"
    assert gears_peer.gears_label(("KLF1",)) == "KLF1+ctrl"
    assert gears_peer.gears_label(("KLF1", "MAP2K6")) == "KLF1+MAP2K6"


def test_comparison_gives_the_ratio_of_the_means():
    rows = pd.DataFrame({
        "protocol": "doubles", "category": ["a", "a", "b", "a", "a", "b", "a", "a", "b"],
        "model": ["gears"] * 3 + ["gears_raw"] * 3 + [gears_peer.PEER] * 3,
        "pearson_delta": [0.8, 0.6, 0.4, 0.5, 0.3, 0.1, 0.4, 0.2, 0.1],
        "l2": [1.0, 1.0, 2.0, 1.5, 1.5, 2.5, 2.0, 2.0, 4.0],
    })  # fmt: skip
    table = gears_peer.comparison(rows).set_index(["category", "model"])
    assert table.loc[("a", "gears"), "pearson_delta_ratio"] == pytest.approx(0.7 / 0.3)
    assert table.loc[("a", "gears"), "l2_ratio"] == pytest.approx(0.5)
    assert table.loc[("all", "gears_raw"), "l2_mean"] == pytest.approx(5.5 / 3)
    assert table.loc[("all", gears_peer.PEER), "pearson_delta_ratio"] == pytest.approx(1.0)
    assert "| doubles | a | gears | 2 | 0.700 ± 0.141 |" in gears_peer.markdown(table.reset_index())


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("gears") is None,
                    reason="cell-gears not installed (pip install -e '.[gears]')")  # fmt: skip
def test_gears_runner_trains_offline_and_predicts_val_and_test(tmp_path):
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(30)]  # GEARS scores the top 20 DE genes
    conditions = {"ctrl": 60, "G0+ctrl": 30, "G1+ctrl": 30, "G2+ctrl": 30, "G0+G1": 30}
    labels = [c for c, n in conditions.items() for _ in range(n)]
    x = rng.poisson(3.0, (len(labels), len(genes))).astype(np.float32)
    for i, label in enumerate(labels):  # each perturbation raises its targets
        for g in label.split("+"):
            if g != "ctrl":
                x[i, genes.index(g)] += 8
    obs = pd.DataFrame({"condition": labels, "cell_type": "cell"},
                       index=[f"c{i}" for i in range(len(labels))])  # fmt: skip
    var = pd.DataFrame({"gene_name": genes}, index=genes)
    ad.AnnData(sp.csr_matrix(np.log1p(x)), obs=obs, var=var).write_h5ad(tmp_path / "cells.h5ad")
    go = [(g, g, 1.0) for g in genes] + [(genes[i], genes[i + 1], 0.5) for i in range(29)]
    pd.DataFrame(go, columns=["source", "target", "importance"]).to_csv(tmp_path / "go.csv",
                                                                      index=False)  # fmt: skip
    split = {"train": ["ctrl", "G0+ctrl", "G1+ctrl"], "val": ["G2+ctrl"], "test": ["G0+G1"]}
    (tmp_path / "split.json").write_text(json.dumps(split))
    out = tmp_path / "pred.npz"
    subprocess.run([sys.executable, str(BENCH / "gears_runner.py"), "--h5ad",
                    str(tmp_path / "cells.h5ad"), "--split", str(tmp_path / "split.json"),
                    "--go-csv", str(tmp_path / "go.csv"), "--out", str(out), "--epochs", "1"],
                   check=True, capture_output=True, cwd=tmp_path)  # fmt: skip
    with np.load(out, allow_pickle=False) as saved:
        assert saved["conditions"].tolist() == ["G2+ctrl", "G0+G1"]
        assert saved["genes"].tolist() == genes
        assert saved["pred"].shape == (2, 30) and np.isfinite(saved["pred"]).all()
        assert json.loads(str(saved["meta"]))["epochs"] == 1
