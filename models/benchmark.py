"""``priorgraph benchmark``: every model and baseline on the same random partitions of real data.

A model is judged on real data, over several random partitions, side by side with the
baselines. For one data set and protocol (:func:`priorgraph.ingest.splits.benchmark_splits`:
``doubles`` — Ahlmann-Eltze et al. 2025's partitions, control + every single + half of the
doubles train; ``unseen-singles`` — singles held out in disjoint folds) every model is fitted on
each fold's training conditions and predicts its test conditions. Each prediction is evaluated
(:func:`priorgraph.models.metrics.evaluate`) and written back like any run, so the benchmark's
runs are queryable in the graph.

The outputs (``out``):

* ``per_perturbation.csv`` — one row per (fold, model, test perturbation): its category
  (``single``, ``double_both_singles``, ``double_one_single``, ``double_no_single``), every
  metric, and the run id;
* ``summary.csv`` / ``summary.md`` — per category and model: mean ± sd over the rows of
  ``pearson_delta``, ``l2`` (``l2_top_expressed``) and the DEG-aware metrics, and the share of
  perturbations on which the model beats ``no_change`` (lower L2) and ``additive``;
* ``benchmark.png`` — pearson_delta and L2 per model and category.

Categories ``double_one_single`` and ``double_no_single`` together are "doubles with an
unmeasured single"; the summary also reports them pooled as ``double_unmeasured``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from priorgraph.core.errors import UsageError
from priorgraph.core.utils import progress as progress_bar
from priorgraph.ingest.perturbseq import dataset_dir, load_dataset
from priorgraph.ingest.splits import (
    benchmark_splits,
    build_coexpression,
    splits_dir,
    write_coexpression,
)
from priorgraph.kg.connection import Graph
from priorgraph.models.effect_selection import EffectSelection
from priorgraph.models.pipeline import (
    MODELS,
    NEURAL,
    Priors,
    RunOptions,
    fit_and_evaluate,
    make_predictor,
    run_directory,
    save_run_files,
    write_back,
)

log = logging.getLogger(__name__)
DEFAULT_SELECTION = EffectSelection()
DEFAULT_MODELS = MODELS
HEADLINE = ("pearson_delta", "l2")
REPORTED = (*HEADLINE, "pearson_delta_top20_de", "weighted_delta_r2", "de_overlap_top20", "pds")
UNMEASURED = ("double_one_single", "double_no_single")


@dataclass
class BenchmarkResult:
    """The per-perturbation table, its summary and where they were written."""

    rows: pd.DataFrame
    summary: pd.DataFrame
    files: dict[str, Path]
    seconds: float


def run_benchmark(
    graph: Graph,
    dataset: str,
    *,
    protocol: str,
    folds: int = 5,
    seed: int = 0,
    models: Sequence[str] = DEFAULT_MODELS,
    options: RunOptions | None = None,
    store: str | Path | None = None,
    out: Path | None = None,
    write: bool = True,
    selection: EffectSelection = DEFAULT_SELECTION,
    progress: bool = True,
) -> BenchmarkResult:
    """Run ``models`` on the ``folds`` partitions of ``protocol`` (module doc)."""
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise UsageError(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    options = options or RunOptions()
    start = time.perf_counter()
    record = load_dataset(dataset, store)
    pb, cfg = record.pseudobulk(), record.config
    splits = benchmark_splits(dataset, [*pb.conditions, cfg.control], protocol=protocol,
                              folds=folds, seed=seed, separator=cfg.separator,
                              control=cfg.control)  # fmt: skip
    priors = Priors(graph, pb, species=cfg.species, options=options)
    out = out or dataset_dir(dataset, store) / "benchmarks" / f"{protocol}-s{seed}"
    rows: list[dict] = []
    bar = progress_bar(total=len(splits) * len(models), desc=f"benchmark {dataset}",
                       enabled=progress, unit="run")  # fmt: skip
    with bar:
        for fold, split in enumerate(splits):
            split.save(splits_dir(dataset, store), overwrite=True)
            if any(m in NEURAL for m in models):
                write_coexpression(graph, record, split, build_coexpression(record, split),
                                   progress=False)  # fmt: skip
            category = split.subgroup_of()
            for name in models:
                bar.set_postfix({"fold": fold, "model": name})
                predictor = make_predictor(name, graph=graph, record=record, split=split,
                                           priors=priors, options=options)  # fmt: skip
                result = fit_and_evaluate(predictor, pb, split, record.pseudobulk_sha256)
                result.checkpoint = save_run_files(
                    result, run_directory(dataset, result.run.id, store=store)
                )
                if write:
                    write_back(graph, result, pb, species=cfg.species, selection=selection)
                for condition, metrics in result.evaluation.per_perturbation.items():
                    rows.append({
                        "protocol": protocol, "fold": fold, "split": split.name, "model": name,
                        "perturbation": condition, "category": category[condition],
                        "l2": metrics["l2_top_expressed"], **metrics, "run": result.run.id,
                        "seconds": result.seconds, "learned_edges": result.n_learned_edges,
                    })  # fmt: skip
                bar.update(1)
    table = pd.DataFrame(rows)
    summary = summarise(table)
    files = write_outputs(table, summary, out, title=f"{dataset}, {protocol}, {folds} folds, "
                          f"seed {seed}")  # fmt: skip
    return BenchmarkResult(table, summary, files, time.perf_counter() - start)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per category (and ``double_unmeasured``, ``all``) and model: n, mean and sd of the
    reported metrics, and the share of perturbations beating no_change / additive on L2."""
    pooled = rows[rows["category"].isin(UNMEASURED)].assign(category="double_unmeasured")
    everything = pd.concat([rows, pooled, rows.assign(category="all")], ignore_index=True)
    records = []
    for (category, model), group in everything.groupby(["category", "model"], sort=False):
        record: dict = {"category": category, "model": model, "n": len(group)}
        for metric in REPORTED:
            values = group[metric].astype(float)
            record[f"{metric}_mean"] = float(values.mean())
            record[f"{metric}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else np.nan
        for reference in ("no_change", "additive"):
            record[f"beats_{reference}_l2"] = _share_better(everything, group, category, reference)
        records.append(record)
    return pd.DataFrame(records)


def _share_better(rows: pd.DataFrame, group: pd.DataFrame, category: str, reference: str) -> float:
    """Share of ``group``'s perturbations with a lower L2 than ``reference`` on the same fold."""
    ref = rows[(rows["model"] == reference) & (rows["category"] == category)]
    if ref.empty:
        return np.nan
    merged = group.merge(ref[["fold", "perturbation", "l2"]], on=["fold", "perturbation"],
                         suffixes=("", "_ref"))  # fmt: skip
    return float((merged["l2"] < merged["l2_ref"]).mean()) if len(merged) else np.nan


def markdown(summary: pd.DataFrame, title: str) -> str:
    """The summary as markdown: one table per category, mean ± sd."""
    lines = [f"# Benchmark: {title}", ""]
    for category, group in summary.groupby("category", sort=False):
        lines += [f"## {category} (n = {int(group['n'].iloc[0])} per model)", "",
                  "| model | " + " | ".join(REPORTED) + " | beats no_change (L2) | beats additive"
                  " (L2) |", "|---" * (len(REPORTED) + 3) + "|"]  # fmt: skip
        for _, row in group.sort_values("l2_mean").iterrows():
            cells = [f"{row[f'{m}_mean']:.3f} ± {row[f'{m}_sd']:.3f}" for m in REPORTED]
            shares = [f"{row[f'beats_{r}_l2']:.0%}" if pd.notna(row[f"beats_{r}_l2"]) else "–"
                      for r in ("no_change", "additive")]  # fmt: skip
            lines.append(f"| {row['model']} | " + " | ".join(cells + shares) + " |")
        lines.append("")
    return "\n".join(lines)


def plot(rows: pd.DataFrame, path: Path, title: str) -> Path:
    """pearson_delta and L2 per model (boxes over perturbations), one row per category."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    categories = list(dict.fromkeys(rows["category"]))
    models = list(dict.fromkeys(rows["model"]))
    size = (2 + 0.9 * len(models), 3 * len(categories))
    fig, axes = plt.subplots(len(categories), 2, figsize=size, squeeze=False)
    for i, category in enumerate(categories):
        for j, metric in enumerate(HEADLINE):
            ax = axes[i, j]
            part = rows[rows["category"] == category]
            data = [part.loc[part["model"] == m, metric].astype(float).to_numpy() for m in models]
            ax.boxplot(data, tick_labels=models, showmeans=True)
            ax.set_title(f"{category}: {metric}", fontsize=9)
            ax.tick_params(axis="x", rotation=60, labelsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_outputs(rows: pd.DataFrame, summary: pd.DataFrame, out: Path, *, title: str
                  ) -> dict[str, Path]:  # fmt: skip
    """The CSV, markdown and PNG files of a benchmark under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"per_perturbation": out / "per_perturbation.csv", "summary": out / "summary.csv",
             "markdown": out / "summary.md", "plot": out / "benchmark.png"}  # fmt: skip
    rows.to_csv(files["per_perturbation"], index=False)
    summary.to_csv(files["summary"], index=False)
    files["markdown"].write_text(markdown(summary, title))
    plot(rows, files["plot"], title)
    return files
