"""``priorgraph benchmark``: every model and baseline on the same random partitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from priorgraph.commands.common import open_graph
from priorgraph.commands.perturb import effect_selection, selection_options
from priorgraph.commands.train import model_options, run_options
from priorgraph.ingest.splits import PROTOCOLS
from priorgraph.models import benchmark as bench
from priorgraph.models.pipeline import MODELS
from priorgraph.output import echo_rows

SHOWN = ("category", "model", "n", "pearson_delta_mean", "pearson_delta_sd", "l2_mean", "l2_sd",
         "beats_no_change_l2", "beats_additive_l2")  # fmt: skip


@click.command()
@click.argument("dataset")
@click.option("--protocol", type=click.Choice(PROTOCOLS), required=True,
              help="doubles: train on every single + half the doubles; unseen-singles: hold "
              "singles out in folds.")  # fmt: skip
@click.option("--folds", default=5, show_default=True, type=click.IntRange(1))
@click.option("--models", "model_names", default=",".join(MODELS), show_default=True,
              help="Comma-separated models to run.")  # fmt: skip
@model_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: <data set>/benchmarks/<protocol>-s<seed>).",
)
@click.option("--no-write", is_flag=True, help="Write no run back to the graph.")
@selection_options
def benchmark(
    dataset: str,
    protocol: str,
    folds: int,
    model_names: str,
    out: Path | None,
    no_write: bool,
    top_per_perturbation: int,
    top_per_gene: int,
    threshold: float,
    store: Path | None,
    **settings: Any,
) -> None:
    """Run every model on FOLDS random partitions of DATASET; write per-perturbation and
    summary tables (CSV, markdown) and a PNG, and every run back to the graph."""
    models = [m.strip() for m in model_names.split(",") if m.strip()]
    options = run_options(models, progress=False, **settings)
    with open_graph() as graph:
        result = bench.run_benchmark(
            graph, dataset, protocol=protocol, folds=folds, seed=settings["seed"], models=models,
            options=options, store=store, out=out, write=not no_write,
            selection=effect_selection(top_per_perturbation, top_per_gene, threshold),
        )  # fmt: skip
    shown = result.summary[list(SHOWN)].round(3).to_dict("records")
    echo_rows(shown, "table")
    for kind, path in result.files.items():
        click.echo(f"{kind:17} {path}")
    click.echo(f"{len(result.rows)} predictions in {result.seconds:.0f} s", err=True)
