"""Every perturbation model and baseline on real data, on the partitions of ``priorgraph
benchmark``, with the published GEARS 0.1.2 beside them; the figures of issue 11.

    PRIORGRAPH_DATA_DIR=../shared/data .venv/bin/python bench/perturb_bench.py \
        [--folds 5] [--seed 0] [--no-gears-peer] [--gears-epochs 20] [--gears-folds N]
        [--gears-protocols doubles unseen-singles] [--out DIR] [--write-docs]

Against a throw-away Neo4j holding the whole human GO table (``bench/real_data.py``):

1. ``run_benchmark`` (what ``priorgraph benchmark`` runs), every model with its defaults, on the
   Norman 2019 subset (protocols ``doubles`` and ``unseen-singles``) and on Papalexi 2021
   (``unseen-singles``), ``--folds`` folds each. Training is timed: the sum over runs of fit +
   predict (the issue's "training of the whole benchmark"), and the wall time of the calls
   (graph priors, co-expression, write-back included), with the load average.
2. Unless ``--no-gears-peer`` (or cell-gears is not installed: ``pip install -e '.[gears]'``),
   ``bench/gears_peer.py`` on the Norman protocols: GEARS-style composed and raw (the network
   alone, ``--no-compose``) and GEARS 0.1.2 itself, on the same partitions.

Printed (and, with ``--write-docs``, written between the markers of docs/benchmarks.md's
perturbation section): per protocol and category, mean ± sd of pearson_delta and L2 per model
with the share of perturbations beating no_change and additive on L2; the issue's targets,
met or missed, with their figures; one table per protocol with every perturbation's
pearson_delta / L2 per model. ``--out`` keeps the CSVs (``run_benchmark``'s outputs too).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gears_peer import PEER, run_peer
from real_data import DATASETS, workspace

from priorgraph.ingest.perturbseq import load_dataset
from priorgraph.kg import ids
from priorgraph.kg.connection import Graph
from priorgraph.models import writeback
from priorgraph.models.benchmark import UNMEASURED, run_benchmark
from priorgraph.models.pipeline import MODELS

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
BEGIN, END = "<!-- perturb_bench:begin -->", "<!-- perturb_bench:end -->"
GRAPH_MODELS = ("go_neighbour", "linear", "graph_gp", "gears", "adapert")
BASELINES = ("train_mean", "additive")


def edge_coverage(graph: Graph, dataset: str, conditions: list[str], runs: list[str]) -> list[int]:
    """Per AdaPert run: how many of the data set's conditions have ≥ 1 learned edge."""
    return [sum(bool(writeback.learned_edges(graph, ids.perturbation_id(dataset, c), run, top=1))
                for c in conditions) for run in runs]  # fmt: skip


def run_all(args: argparse.Namespace, work: Path) -> tuple[pd.DataFrame, dict]:
    """Every (data set, protocol) benchmark, then the GEARS peer: the per-perturbation rows and
    the timings (and AdaPert's learned-edge coverage)."""
    rows, timing = [], {"train_s": 0.0, "wall_s": 0.0, "load": [os.getloadavg()[0]], "edges": {}}
    with workspace(work / "store", list(DATASETS)) as ws:
        timing["go_ingest_s"] = ws.go_seconds
        for dataset, (_, protocols) in DATASETS.items():
            for protocol in protocols:
                start = time.perf_counter()
                result = run_benchmark(ws.graph, dataset, protocol=protocol, folds=args.folds,
                                       seed=args.seed, models=MODELS, store=ws.store,
                                       out=work / "out" / f"{dataset}-{protocol}",
                                       progress=False)  # fmt: skip
                timing["wall_s"] += time.perf_counter() - start
                fits = result.rows.drop_duplicates(["split", "model"])
                timing["train_s"] += float(fits["seconds"].sum())
                timing[f"{dataset}/{protocol}"] = fits.groupby("model")["seconds"].sum().to_dict()
                rows.append(result.rows.assign(dataset=dataset))
                conditions = load_dataset(dataset, ws.store).pseudobulk().conditions
                runs = sorted(set(result.rows.loc[result.rows["model"] == "adapert", "run"]))
                timing["edges"][f"{dataset}/{protocol}"] = (
                    edge_coverage(ws.graph, dataset, list(conditions), runs),
                    len(conditions),
                )
                print(f"{dataset} {protocol}: {time.perf_counter() - start:.0f} s", flush=True)
        timing["load"].append(os.getloadavg()[0])
        if args.gears_peer:
            for protocol in args.gears_protocols:
                peer = run_peer(ws, "norman", protocol, folds=args.gears_folds, seed=args.seed,
                                epochs=args.gears_epochs, threads=1, work=work)  # fmt: skip
                rows.append(peer[peer["model"] != "gears"])  # composed: already in run_benchmark
    return pd.concat(rows, ignore_index=True), timing


def with_pooled(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows plus ``double_unmeasured`` (doubles with an unmeasured single) and ``all``."""
    pooled = rows[rows["category"].isin(UNMEASURED)].assign(category="double_unmeasured")
    return pd.concat([rows, pooled, rows.assign(category="all")], ignore_index=True)


def shares(group: pd.DataFrame, reference: pd.DataFrame) -> float:
    """Share of ``group``'s perturbations with a lower L2 than ``reference`` (same fold)."""
    merged = group.merge(reference[["split", "perturbation", "l2"]], on=["split", "perturbation"],
                         suffixes=("", "_ref"))  # fmt: skip
    return float((merged["l2"] < merged["l2_ref"]).mean()) if len(merged) else np.nan


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per data set, protocol, category and model: n, mean ± sd of pearson_delta and L2, and
    the shares beating no_change and additive on L2."""
    records = []
    keys = ["dataset", "protocol", "category"]
    for key, group in with_pooled(rows).groupby(keys, sort=False):
        for model, part in group.groupby("model", sort=False):
            record = dict(zip(keys, key, strict=True), model=model, n=len(part))
            for metric in ("pearson_delta", "l2"):
                record[metric] = part[metric].mean()
                record[f"{metric}_sd"] = part[metric].std(ddof=1)
            for reference in ("no_change", "additive"):
                record[f"beats_{reference}"] = shares(part, group[group["model"] == reference])
            records.append(record)
    return pd.DataFrame(records)


def summary_markdown(table: pd.DataFrame) -> list[str]:
    lines = []
    for (dataset, protocol), part in table.groupby(["dataset", "protocol"], sort=False):
        lines += [f"**{dataset}, {protocol}**", "",
                  "| category | model | n | pearson_delta | L2 | beats no_change (L2) | beats "
                  "additive (L2) |", "|---|---|---|---|---|---|---|"]  # fmt: skip
        for _, r in part.iterrows():
            lines.append(f"| {r['category']} | {r['model']} | {r['n']} | "
                         f"{r['pearson_delta']:.3f} ± {r['pearson_delta_sd']:.3f} | "
                         f"{r['l2']:.3f} ± {r['l2_sd']:.3f} | {r['beats_no_change']:.0%} | "
                         f"{r['beats_additive']:.0%} |")  # fmt: skip
        lines.append("")
    return lines


def per_perturbation_markdown(rows: pd.DataFrame) -> list[str]:
    """One table per data set and protocol: fold, perturbation, category, then every model's
    pearson_delta / L2."""
    lines = []
    for (dataset, protocol), part in rows.groupby(["dataset", "protocol"], sort=False):
        models = list(dict.fromkeys(part["model"]))
        lines += [f"**{dataset}, {protocol}** (pearson_delta / L2)", "",
                  "| fold | perturbation | category | " + " | ".join(models) + " |",
                  "|---" * (len(models) + 3) + "|"]  # fmt: skip
        for (fold, perturbation, category), cell in part.groupby(
            ["fold", "perturbation", "category"], sort=True
        ):
            by_model = cell.set_index("model")
            values = [f"{by_model.loc[m, 'pearson_delta']:.2f} / {by_model.loc[m, 'l2']:.2f}"
                      if m in by_model.index else "–" for m in models]  # fmt: skip
            lines.append(f"| {fold} | {perturbation} | {category} | " + " | ".join(values) + " |")
        lines.append("")
    return lines


def targets(table: pd.DataFrame, rows: pd.DataFrame, coverage: dict) -> list[str]:
    """Issue 11's targets, met or missed, with the figures they rest on."""

    def get(dataset: str, protocol: str, category: str, model: str) -> pd.Series | None:
        hit = table[(table["dataset"] == dataset) & (table["protocol"] == protocol)
                    & (table["category"] == category) & (table["model"] == model)]  # fmt: skip
        return hit.iloc[0] if len(hit) else None

    def better(a: pd.Series, b: pd.Series, strict: bool = False) -> bool:
        if strict:
            return a["pearson_delta"] > b["pearson_delta"] and a["l2"] < b["l2"]
        return a["pearson_delta"] >= b["pearson_delta"] and a["l2"] <= b["l2"]

    def figures(r: pd.Series) -> str:
        return f"{r.get('model', r.name)} {r['pearson_delta']:.3f} / {r['l2']:.3f}"

    lines = ["| target | figures (pearson_delta / L2) | |", "|---|---|---|"]
    additive = get("norman", "doubles", "double_both_singles", "additive")
    candidates = [get("norman", "doubles", "double_both_singles", m) for m in GRAPH_MODELS]
    best = min((c for c in candidates if c is not None), key=lambda r: r["l2"])
    met = "met" if better(best, additive) else "missed"
    if better(best, additive, strict=True):
        met = "met (strictly better: the moonshot)"
    lines.append(f"| Norman doubles, both singles measured: best model ≥ additive | "
                 f"{figures(best)} vs {figures(additive)} | {met} |")  # fmt: skip
    for protocol, category in (("doubles", "double_unmeasured"), ("unseen-singles", "single")):
        refs = [
            r for r in (get("norman", protocol, category, m) for m in BASELINES) if r is not None
        ]
        graph = [r for r in (get("norman", protocol, category, m) for m in GRAPH_MODELS)
                 if r is not None and all(better(r, ref, strict=True) for ref in refs)]  # fmt: skip
        shown = graph or [get("norman", protocol, category, "graph_gp")]
        lines.append(
            f"| Norman {category}: a graph model beats train_mean and partial additive | "
            f"{'; '.join(figures(r) for r in shown)} vs "
            f"{'; '.join(figures(r) for r in refs)} | {'met' if graph else 'missed'} |"
        )
    for protocol in DATASETS["norman"][1]:
        norman = rows[(rows["dataset"] == "norman") & (rows["protocol"] == protocol)]
        splits = set(norman.loc[norman["model"] == PEER, "split"])
        if not splits:
            continue
        # the partitions GEARS 0.1.2 ran on (--gears-folds may be fewer than --folds)
        same = norman[norman["split"].isin(splits)]
        mean = same.groupby("model")[["pearson_delta", "l2"]].mean()
        peer = mean.loc[PEER].rename(PEER)
        for model in ("gears", "gears_raw"):
            ours = mean.loc[model].rename(model)
            lines.append(f"| Norman {protocol} ({len(splits)} folds): GEARS-style ({model}) ≥ "
                         f"GEARS 0.1.2 | {figures(ours)} vs {figures(peer)} | "
                         f"{'met' if better(ours, peer) else 'missed'} |")  # fmt: skip
    ada = rows[rows["model"] == "adapert"].merge(
        rows[rows["model"] == "no_change"][["dataset", "split", "perturbation", "l2"]],
        on=["dataset", "split", "perturbation"], suffixes=("", "_none"))  # fmt: skip
    worse = ada[(ada["pearson_delta"] <= 0) | (ada["l2"] >= ada["l2_none"])]
    names = sorted(set(worse["perturbation"]))
    shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
    lines.append(f"| AdaPert-style better than no_change on every held-out perturbation | "
                 f"worse on {len(worse)} of {len(ada)} ({shown}) | "
                 f"{'met' if worse.empty else 'missed'} |")  # fmt: skip
    covered = [(key, min(counts), total) for key, (counts, total) in coverage.items()]
    complete = all(least == total for _, least, total in covered)
    lines.append("| AdaPert-style: ≥ 1 learned edge per condition | conditions with learned edges, "
                 "fewest over folds: " + ", ".join(f"{k} {least} of {total}"
                                                    for k, least, total in covered)
                 + f" | {'met' if complete else 'missed'} |")  # fmt: skip
    papalexi = get("papalexi", "unseen-singles", "single", "train_mean")
    graph = [get("papalexi", "unseen-singles", "single", m) for m in GRAPH_MODELS]
    winners = [r for r in graph if r is not None and r["pearson_delta"] > papalexi["pearson_delta"]]
    lines.append(f"| Papalexi unseen singles: a graph model's pearson_delta > train_mean's | "
                 f"{'; '.join(figures(r) for r in winners or graph if r is not None)} vs "
                 f"{figures(papalexi)} | {'met' if winners else 'missed'} |")  # fmt: skip
    return lines


def report(rows: pd.DataFrame, timing: dict, args: argparse.Namespace) -> str:
    table = summary(rows)
    peer = (
        f" --gears-folds {args.gears_folds} --gears-protocols {' '.join(args.gears_protocols)}"
        if args.gears_peer
        else " --no-gears-peer"
    )
    command = f"bench/perturb_bench.py --folds {args.folds} --seed {args.seed}{peer}"
    lines = [f"Measured by `{command}` on "
             f"{time.strftime('%Y-%m-%d')}; load average {timing['load'][0]:.1f} at the start, "
             f"{timing['load'][1]:.1f} after the benchmarks (2 cores shared).", "",
             f"**Training of the whole benchmark** (fit + predict of every model, all folds, "
             f"3 protocols): **{timing['train_s'] / 60:.1f} min**; wall time of the benchmark "
             f"calls {timing['wall_s'] / 60:.1f} min (priors, co-expression, write-back "
             f"included); whole-human GO ingest {timing['go_ingest_s']:.0f} s.", ""]  # fmt: skip
    for key in (k for k in timing if "/" in k):
        neural = {m: round(s) for m, s in timing[key].items() if m in ("gears", "adapert")}
        lines.append(f"- {key}: training seconds (all folds) {neural}, "
                     f"{sum(timing[key].values()):.0f} s for all models")  # fmt: skip
    lines += ["", "### Targets", "", *targets(table, rows, timing["edges"]), "", "### Summary", "",
              *summary_markdown(table), "<details><summary>Every perturbation</summary>", "",
              *per_perturbation_markdown(rows), "</details>"]  # fmt: skip
    return "\n".join(lines)


def write_docs(text: str) -> None:
    """Replace the generated block of docs/benchmarks.md."""
    doc = DOCS.read_text()
    block = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not block.search(doc):
        raise SystemExit(f"{DOCS}: no {BEGIN} … {END} block")
    DOCS.write_text(block.sub(lambda _: f"{BEGIN}\n{text}\n{END}", doc))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-gears-peer", dest="gears_peer", action="store_false")
    parser.add_argument("--gears-epochs", type=int, default=20)
    parser.add_argument(
        "--gears-folds",
        type=int,
        default=None,
        help="folds of the GEARS 0.1.2 runs (the first N partitions; default --folds)",
    )
    parser.add_argument(
        "--gears-protocols",
        nargs="+",
        default=list(DATASETS["norman"][1]),
        choices=DATASETS["norman"][1],
        help="Norman protocols of the GEARS peer",
    )
    parser.add_argument("--out", type=Path, help="keep the CSVs here")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    args.gears_folds = args.gears_folds or args.folds
    if args.gears_peer and importlib.util.find_spec("gears") is None:
        print("cell-gears not installed (pip install -e '.[gears]'): GEARS 0.1.2 left out")
        args.gears_peer = False
    with tempfile.TemporaryDirectory(prefix="pg-perturb-") as tmp:
        rows, timing = run_all(args, Path(tmp))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        rows.to_csv(args.out / "per_perturbation.csv", index=False)
    text = report(rows, timing, args)
    print(text)
    if args.write_docs:
        write_docs(text)


if __name__ == "__main__":
    main()
