"""The published GEARS (cell-gears 0.1.2) beside priorgraph's GEARS-style model, on exactly the
partitions of ``priorgraph benchmark``, fed by priorgraph's GO export, measured in one run.

    pip install -e '.[gears]'     # cell-gears 0.1.2 (optional extra)
    PRIORGRAPH_DATA_DIR=../shared/data .venv/bin/python bench/gears_peer.py \
        [--dataset norman] [--protocols doubles unseen-singles] [--folds 5] [--seed 0] \
        [--epochs 20] [--threads 1] [--out DIR]

Against a throw-away Neo4j holding the whole human GO table (``bench/real_data.py``), for each
protocol: the benchmark partitions ``bench-<protocol>-s<seed>-f<k>``
(:func:`priorgraph.ingest.splits.benchmark_splits`, as ``priorgraph benchmark`` makes them);
the GO prior the neural models train on (every annotated gene within one GO step of a target,
plus the measured genes) written as GEARS's ``source,target,importance`` CSV
(:func:`priorgraph.queries.export_formats.write_gears_csv`); then per fold

* priorgraph's GEARS-style model, fitted once and evaluated twice: the composed prediction
  (``gears``, the default of ``train`` and ``benchmark``) and the network alone
  (``gears_raw``, what ``--no-compose`` predicts);
* GEARS 0.1.2 (``gears_0.1.2``) in a subprocess (``bench/gears_runner.py``: GEARS changes the
  working directory and seeds globally), with GEARS's defaults and ``--epochs`` epochs, trained
  on the same training conditions and early-stopped on the same validation conditions
  (:func:`priorgraph.models.pipeline.validation_conditions`).

Every prediction is scored by :func:`priorgraph.models.metrics.evaluate`. Printed: mean ± sd of
pearson_delta and L2 per test category and model, the ratios GEARS-style / GEARS 0.1.2 (of the
means; pearson_delta higher is better, L2 lower is better), training times; ``--out`` keeps the
per-perturbation CSV.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_data import DATASETS, Workspace, workspace

from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.core.splits import Split
from priorgraph.core.utils import dense
from priorgraph.ingest.perturbseq import DatasetRecord, load_dataset
from priorgraph.ingest.splits import (
    benchmark_splits,
    build_coexpression,
    splits_dir,
    write_coexpression,
)
from priorgraph.models.metrics import evaluate
from priorgraph.models.pipeline import (
    Priors,
    RunOptions,
    fit_and_evaluate,
    make_predictor,
)
from priorgraph.models.predictor import Targets, TrainingSet
from priorgraph.queries.export_formats import write_gears_csv

RUNNER = Path(__file__).resolve().parent / "gears_runner.py"
PEER = "gears_0.1.2"
MODELS = ("gears", "gears_raw", PEER)
METRICS = ("pearson_delta", "l2")


def gears_label(targets: Targets) -> str:
    """GEARS's label of a target list: ``ctrl``, ``A+ctrl``, ``A+B``."""
    if not targets:
        return "ctrl"
    return f"{targets[0]}+ctrl" if len(targets) == 1 else "+".join(targets)


def write_gears_cells(record: DatasetRecord, path: Path) -> Path:
    """The data set's normalised cells in GEARS's layout (``obs.condition`` GEARS labels,
    ``obs.cell_type``, ``var.gene_name``, sparse ``X``)."""
    cells = record.cells()
    labels = cells.adata.obs["condition"].astype(str).to_numpy()
    obs = pd.DataFrame({"condition": [gears_label(cells.targets[c]) for c in labels],
                        "cell_type": "cell"},
                       index=[f"c{i}" for i in range(len(labels))])  # fmt: skip
    genes = list(map(str, cells.adata.var_names))
    var = pd.DataFrame({"gene_name": genes}, index=genes)
    x = sp.csr_matrix(dense(cells.adata.X, np.float32))
    ad.AnnData(X=x, obs=obs, var=var).write_h5ad(path)
    return path


def gears_fit(
    cells: Path,
    split: dict[str, list[str]],
    go_csv: Path,
    work: Path,
    *,
    epochs: int,
    seed: int,
    threads: int,
) -> tuple[dict[str, np.ndarray], dict]:
    """One GEARS 0.1.2 fit in a subprocess: GEARS label → predicted mean expression, and the
    runner's meta (timings). The runner's output goes to ``work/gears.log``."""
    split_path = work / "split.json"
    split_path.write_text(json.dumps(split))
    out = work / "predictions.npz"
    env = {**os.environ, **{v: str(threads) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                      "OPENBLAS_NUM_THREADS")}}  # fmt: skip
    command = [sys.executable, str(RUNNER), "--h5ad", str(cells), "--split", str(split_path),
               "--go-csv", str(go_csv), "--out", str(out), "--epochs", str(epochs),
               "--seed", str(seed), "--threads", str(threads)]  # fmt: skip
    with open(work / "gears.log", "w") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, check=False)
    if done.returncode:
        raise RuntimeError(f"GEARS 0.1.2 failed (exit {done.returncode}); see {work / 'gears.log'}")
    with np.load(out, allow_pickle=False) as saved:
        pred = dict(zip(saved["conditions"].tolist(), saved["pred"], strict=True))
        meta = json.loads(str(saved["meta"]))
    return pred, meta


def scored_rows(model: str, predictions: dict[str, np.ndarray], pb: Pseudobulk, split: Split,
                fold: int, seconds: float) -> list[dict]:  # fmt: skip
    """One row per test perturbation: its category and every metric of ``evaluate``."""
    train_mean = TrainingSet.from_split(pb, split).deltas.mean(axis=0)
    evaluation = evaluate(predictions, pb, split, train_mean)
    category = split.subgroup_of()
    return [{"split": split.name, "fold": fold, "model": model, "perturbation": c,
             "category": category[c], **m, "l2": m["l2_top_expressed"], "seconds": seconds}
            for c, m in evaluation.per_perturbation.items()]  # fmt: skip


def run_peer(
    ws: Workspace,
    dataset: str,
    protocol: str,
    *,
    folds: int,
    seed: int,
    epochs: int,
    threads: int,
    work: Path,
    options: RunOptions | None = None,
) -> pd.DataFrame:
    """GEARS-style (composed and raw) and GEARS 0.1.2 on every fold of ``protocol``: the
    per-perturbation rows (module doc)."""
    options = options or RunOptions()
    record = load_dataset(dataset, ws.store)
    pb, cfg = record.pseudobulk(), record.config
    priors = Priors(ws.graph, pb, species=cfg.species, options=options)
    go_csv = write_gears_csv(priors.go_graph.export, work / f"{dataset}-go.csv")
    cells = work / f"{dataset}-gears.h5ad"
    if not cells.exists():
        write_gears_cells(record, cells)
    splits = benchmark_splits(dataset, [*pb.conditions, cfg.control], protocol=protocol,
                              folds=folds, seed=seed, separator=cfg.separator,
                              control=cfg.control)  # fmt: skip
    rows: list[dict] = []
    for fold, split in enumerate(splits):
        split.save(splits_dir(dataset, ws.store), overwrite=True)
        write_coexpression(ws.graph, record, split, build_coexpression(record, split),
                           progress=False)  # fmt: skip
        predictor = make_predictor("gears", graph=ws.graph, record=record, split=split,
                                   priors=priors, options=options)  # fmt: skip
        result = fit_and_evaluate(predictor, pb, split, record.pseudobulk_sha256)
        test = list(result.predictions)
        raw = predictor.network_deltas([pb.targets[pb.row(c)] for c in test])
        rows += scored_rows("gears", result.predictions, pb, split, fold, result.seconds)
        rows += scored_rows("gears_raw", {c: pb.control_mean + d for c, d in
                                          zip(test, raw, strict=True)},
                            pb, split, fold, result.seconds)  # fmt: skip
        label = {c: gears_label(pb.targets[pb.row(c)]) for c in pb.conditions}
        val = set(predictor.val)
        fit_split = {"train": ["ctrl", *(label[c] for c in split.train if c in label
                                         and c not in val)],
                     "val": [label[c] for c in predictor.val],
                     "test": [label[c] for c in test]}  # fmt: skip
        fold_dir = work / f"{dataset}-{split.name}"
        fold_dir.mkdir(exist_ok=True)
        pred, meta = gears_fit(cells, fit_split, go_csv, fold_dir, epochs=epochs, seed=seed,
                               threads=threads)  # fmt: skip
        gears_pred = {c: pred[label[c]] for c in test}
        rows += scored_rows(PEER, gears_pred, pb, split, fold, meta["train_s"])
        print(
            f"{dataset} {split.name}: GEARS-style {result.seconds:.0f} s, GEARS 0.1.2 "
            f"{meta['train_s']:.0f} s (+{meta['prepare_s']:.0f} s data)",
            flush=True,
        )
    return pd.DataFrame(rows).assign(dataset=dataset, protocol=protocol)


def comparison(rows: pd.DataFrame) -> pd.DataFrame:
    """Per category (and ``all``) and model: n, mean and sd of pearson_delta and L2, and the
    ratio of each GEARS-style mean to GEARS 0.1.2's."""
    everything = pd.concat([rows, rows.assign(category="all")], ignore_index=True)
    records = []
    for (protocol, category), group in everything.groupby(["protocol", "category"], sort=False):
        peer = group[group["model"] == PEER]
        for model in MODELS:
            part = group[group["model"] == model]
            record = {"protocol": protocol, "category": category, "model": model, "n": len(part)}
            for metric in METRICS:
                record[f"{metric}_mean"] = part[metric].mean()
                record[f"{metric}_sd"] = part[metric].std(ddof=1)
                record[f"{metric}_ratio"] = part[metric].mean() / peer[metric].mean()
            records.append(record)
    return pd.DataFrame(records)


def markdown(table: pd.DataFrame) -> str:
    """:func:`comparison` as one markdown table."""
    lines = ["| protocol | category | model | n | pearson_delta | L2 | pearson_delta / GEARS "
             "0.1.2 | L2 / GEARS 0.1.2 |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for _, r in table.iterrows():
        ratios = ("–", "–") if r["model"] == PEER else (
            f"{r['pearson_delta_ratio']:.2f}", f"{r['l2_ratio']:.2f}")  # fmt: skip
        lines.append(
            f"| {r['protocol']} | {r['category']} | {r['model']} | {r['n']} | "
            f"{r['pearson_delta_mean']:.3f} ± {r['pearson_delta_sd']:.3f} | "
            f"{r['l2_mean']:.3f} ± {r['l2_sd']:.3f} | {ratios[0]} | {ratios[1]} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="norman", choices=sorted(DATASETS))
    parser.add_argument("--protocols", nargs="+", default=None,
                        help="default: every protocol of the data set")  # fmt: skip
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=20, help="GEARS 0.1.2 epochs (its default)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of GEARS 0.1.2")
    parser.add_argument("--out", type=Path, default=None, help="keep the per-perturbation CSV")
    args = parser.parse_args()
    protocols = args.protocols or list(DATASETS[args.dataset][1])
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pg-gears-peer-") as tmp:
        work = Path(tmp)
        with workspace(work / "store", [args.dataset]) as ws:
            rows = pd.concat([run_peer(ws, args.dataset, p, folds=args.folds, seed=args.seed,
                                       epochs=args.epochs, threads=args.threads, work=work)
                              for p in protocols], ignore_index=True)  # fmt: skip
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        rows.to_csv(args.out / "gears_peer_per_perturbation.csv", index=False)
    print(markdown(comparison(rows)))
    fits = rows.drop_duplicates(["protocol", "model", "split"])
    seconds = fits.groupby("model")["seconds"].mean().round(1).to_dict()
    print(
        f"\nmean training seconds per fold: {seconds}; "
        f"whole run {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
