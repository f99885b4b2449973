"""One fit of the published GEARS (cell-gears 0.1.2), offline, in its own process.

GEARS changes the working directory and seeds Python, NumPy and torch globally, so
``bench/gears_peer.py`` runs every fit through this script in a subprocess::

    python bench/gears_runner.py --h5ad cells.h5ad --split split.json --go-csv go.csv \
        --out predictions.npz [--epochs 20] [--seed 0] [--device cpu]

Inputs, all written by ``gears_peer.py``:

* ``--h5ad``: log-normalised cells in GEARS's layout: ``obs.condition`` (``ctrl``, ``A+ctrl``,
  ``A+B``), ``obs.cell_type``, ``var.gene_name``, sparse ``X``;
* ``--split``: JSON ``{"train": [...], "val": [...], "test": [...]}`` of GEARS labels (GEARS
  needs a non-empty val set: it keeps the weights of the epoch with the lowest val MSE);
* ``--go-csv``: the GO graph as ``source,target,importance``
  (:func:`priorgraph.queries.export_formats.write_gears_csv`).

What GEARS would download is supplied from these files, in a fresh temporary directory: the
GO graph goes where ``gears.utils.make_GO`` looks for a custom one
(``./data/go_essential_<name>.csv``, relative to the working directory), and the genes of that
graph become GEARS's perturbable genes (``gene_set_path``) and the keys of ``gene2go_all.pkl``
(GEARS only intersects with those keys once a GO graph is given). The split is set as GEARS's
``prepare_split(split='custom')`` sets it. GEARS then trains with its defaults (hidden 64,
batch 32, Adam lr 1e-3 halved every epoch, ``--epochs`` epochs) and ``GEARS.predict`` gives
the mean predicted expression of each val and test condition (over 300 control cells drawn
with NumPy's generator, reseeded before each condition so a prediction does not depend on the
others). Output ``--out`` (npz): ``conditions`` (GEARS labels), ``pred`` (conditions × genes),
``genes``, ``meta`` (JSON: timings, settings).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gears_shim

NAME = "priorgraph"  # GEARS's data-set name: the custom GO graph is go_essential_<NAME>.csv
BATCH, TEST_BATCH = 32, 128  # GEARS README values


@contextmanager
def working_directory(path: Path):
    """Run the block in ``path`` (GEARS reads its custom GO graph relative to the CWD)."""
    before = Path.cwd()
    os.chdir(path)
    try:
        yield path
    finally:
        os.chdir(before)


def seed_all(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def gears_genes(label: str) -> list[str]:
    """The genes of a GEARS label (``A+ctrl`` → [A], ``A+B`` → [A, B])."""
    return [g for g in label.split("+") if g != "ctrl"]


def prepare(work: Path, go: pd.DataFrame) -> Path:
    """The files GEARS would download, from the GO graph; returns its data path."""
    data_path = work / "gears_data"
    data_path.mkdir()
    (work / "data").mkdir()
    go.to_csv(work / "data" / f"go_essential_{NAME}.csv", index=False)
    genes = sorted(set(go["source"]) | set(go["target"]))
    with open(data_path / "gene2go_all.pkl", "wb") as handle:
        pickle.dump({g: {"GO graph node"} for g in genes}, handle)
    with open(data_path / "perturbable_genes.pkl", "wb") as handle:
        pickle.dump(genes, handle)
    return data_path


def fit_and_predict(args: argparse.Namespace) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    from gears import GEARS, PertData

    adata = ad.read_h5ad(args.h5ad)
    split = json.loads(Path(args.split).read_text())
    go = pd.read_csv(args.go_csv, dtype={"source": str, "target": str, "importance": float})
    start = time.perf_counter()
    seed_all(args.seed)
    with tempfile.TemporaryDirectory(prefix="gears_") as tmp, working_directory(Path(tmp)):
        data_path = prepare(Path(tmp), go)
        pert_data = PertData(str(data_path), gene_set_path=str(data_path / "perturbable_genes.pkl"),
                             default_pert_graph=False)  # fmt: skip
        pert_data.new_data_process(dataset_name=NAME, adata=adata)
        pert_data.split, pert_data.seed, pert_data.subgroup = "custom", args.seed, None
        pert_data.train_gene_set_size = None
        pert_data.set2conditions = {k: list(split[k]) for k in ("train", "val", "test")}
        pert_data.get_dataloader(batch_size=BATCH, test_batch_size=TEST_BATCH)
        prepared = time.perf_counter()
        model = GEARS(pert_data, device=args.device)
        model.model_initialize()
        model.train(epochs=args.epochs)
        trained = time.perf_counter()
        conditions = [c for c in [*split["val"], *split["test"]] if c != "ctrl"]
        pred = []
        for condition in conditions:
            np.random.seed(args.seed)
            genes = gears_genes(condition)
            pred.append(np.asarray(model.predict([genes])["_".join(genes)], dtype=np.float32))
    meta = {"gears": "cell-gears 0.1.2", "epochs": args.epochs, "seed": args.seed,
            "device": args.device, "threads": args.threads, "batch_size": BATCH,
            "prepare_s": prepared - start, "train_s": trained - prepared,
            "total_s": time.perf_counter() - start}  # fmt: skip
    return {"conditions": np.array(conditions), "pred": np.vstack(pred),
            "genes": np.asarray(adata.var["gene_name"], dtype=str),
            "meta": np.array(json.dumps(meta))}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--h5ad", required=True)
    parser.add_argument("--split", required=True)
    parser.add_argument("--go-csv", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    for name in ("h5ad", "split", "go_csv", "out"):
        setattr(args, name, str(Path(getattr(args, name)).resolve()))  # before GEARS chdirs
    gears_shim.apply()
    np.savez(args.out, **fit_and_predict(args))


if __name__ == "__main__":
    main()
