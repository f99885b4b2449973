"""``priorgraph train`` (graph models and baselines, written back) and ``priorgraph simulate``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from priorgraph.commands.common import open_graph
from priorgraph.commands.perturb import effect_selection, selection_options
from priorgraph.models import pipeline
from priorgraph.models.simulate import SimulationConfig, save, simulate
from priorgraph.models.train import TrainConfig
from priorgraph.output import FORMATS, echo_rows


def run_options(
    models: Sequence[str], *, go_graph: str | None, hops: int, kernel: str, features: str | None,
    compose: bool, steps: int | None, hidden: int | None, lr: float, patience: int, seed: int,
    threads: int, mode: str, tiny: bool, progress: bool,
) -> pipeline.RunOptions:  # fmt: skip
    """The RunOptions of the ``train``/``benchmark`` options for ``models``."""
    configs = {m: pipeline.model_config(m, tiny=tiny, **({"hidden": hidden} if hidden else {}))
               for m in models if m in pipeline.NEURAL}  # fmt: skip
    default_steps = pipeline.TINY_STEPS if tiny else TrainConfig.steps
    train_config = TrainConfig(
        steps=steps or default_steps, lr=lr, patience=patience, seed=seed, threads=threads,
        mode=mode, progress=progress,
    )  # fmt: skip
    return pipeline.RunOptions(go_graph=go_graph, hops=hops, kernel=kernel, features=features,
                               compose=compose, model_configs=configs,
                               train_config=train_config)  # fmt: skip


def model_options(command: click.Command) -> click.Command:
    """The options ``train`` and ``benchmark`` share (graph inputs, training)."""
    options = [
        click.option(
            "--go-graph", help="Stored GO graph (default: computed over every annotated gene)."
        ),
        click.option(
            "--hops",
            default=1,
            show_default=True,
            type=click.IntRange(0),
            help="Neural models: GO neighbourhood of the targets.",
        ),
        click.option(
            "--kernel",
            type=click.Choice(pipeline.KERNELS),
            default="go",
            show_default=True,
            help="graph_gp/linear: gene similarity.",
        ),
        click.option(
            "--features",
            type=click.Choice(["genept"]),
            help="Neural models: GenePT vectors as gene features.",
        ),
        click.option(
            "--compose/--no-compose",
            default=True,
            show_default=True,
            help="Neural models: combinations built on the measured singles.",
        ),
        click.option(
            "--steps",
            type=click.IntRange(1),
            help=f"Optimiser steps at most (default {TrainConfig.steps}; tiny: "
            f"{pipeline.TINY_STEPS}).",
        ),
        click.option(
            "--mode",
            type=click.Choice(["cells", "pseudobulk"]),
            default="cells",
            show_default=True,
            help="Neural models: train on cells or pseudobulk.",
        ),
        click.option("--hidden", type=click.IntRange(1), help="Hidden size (tiny: 16)."),
        click.option("--lr", default=1e-3, show_default=True),
        click.option(
            "--patience",
            default=TrainConfig.patience,
            show_default=True,
            help="Early stopping: rounds of 50 steps without improvement.",
        ),
        click.option("--seed", default=0, show_default=True),
        click.option("--threads", default=1, show_default=True, help="torch threads."),
        click.option("--tiny", is_flag=True, help="A small, fast configuration (tests, demos)."),
        click.option("--store", type=click.Path(path_type=Path), help="Data set folder."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command()
@click.option("--model", type=click.Choice(pipeline.MODELS), required=True)
@click.option("--dataset", required=True, help="An ingested Perturb-seq data set.")
@click.option("--split", "split_name", required=True, help="A saved split of the data set.")
@model_options
@click.option("--edge-threshold", default=0.5, show_default=True, help="adapert: min gate.")
@click.option("--edge-top-k", default=20, show_default=True, help="adapert: edges/perturbation.")
@click.option("--no-write", is_flag=True, help="Evaluate only; write nothing to the graph.")
@selection_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def train(
    model: str,
    dataset: str,
    split_name: str,
    edge_threshold: float,
    edge_top_k: int,
    no_write: bool,
    top_per_perturbation: int,
    top_per_gene: int,
    threshold: float,
    store: Path | None,
    fmt: str,
    **settings: Any,
) -> None:
    """Fit MODEL on SPLIT of DATASET with its graph inputs, evaluate, write the run back."""
    options = run_options([model], progress=fmt == "table", **settings)
    with open_graph() as graph:
        result = pipeline.train_run(
            graph, dataset, split_name, model, options=options, store=store,
            write=not no_write, edge_threshold=edge_threshold, edge_top_k=edge_top_k,
            progress=fmt == "table",
            selection=effect_selection(top_per_perturbation, top_per_gene, threshold),
        )  # fmt: skip
    rows = [
        {"subgroup": group, **{m: round(v, 4) for m, v in values.items()}}
        for group, values in result.evaluation.per_subgroup.items()
    ]
    echo_rows(rows, fmt)
    isolated = result.extra.get("isolated_targets")
    if isolated:
        click.echo(f"warning: {len(isolated)} targets have no graph neighbour: "
                   f"{', '.join(isolated[:10])}", err=True)  # fmt: skip
    summary = result.fit_summary
    if summary is not None:
        weight = result.extra["interaction_weight"]
        click.echo(f"best round {summary.best_round + 1} of {len(summary.history)} "
                   f"(val MSE {summary.best_val:.4g}); interaction weight λ "
                   f"{weight['measured']:g} where both singles are measured, "
                   f"{weight['partial']:g} otherwise", err=True)  # fmt: skip
    click.echo(f"fitted in {result.seconds:.1f} s; files in {result.checkpoint}", err=True)
    if not no_write:
        click.echo(
            f"run {result.run.id}: {result.n_effects} predicted effects, "
            f"{result.n_learned_edges} learned edges written",
            err=True,
        )


@click.command("simulate")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--genes", "n_genes", default=200, show_default=True, type=click.IntRange(2))
@click.option("--singles", default=40, show_default=True, type=click.IntRange(1))
@click.option("--doubles", default=60, show_default=True, type=click.IntRange(0))
@click.option("--cells", default=60, show_default=True, help="Cells per perturbation.")
@click.option("--control-cells", default=600, show_default=True)
@click.option("--overlap", default=0.5, show_default=True, help="Hidden edges from the prior.")
@click.option("--regulators", default=2.0, show_default=True, help="Mean in-degree.")
@click.option("--hops", default=2, show_default=True, help="Propagation steps.")
@click.option("--interaction-rate", default=0.3, show_default=True)
@click.option("--dispersion", default=5.0, show_default=True, help="NB size (larger: less noise).")
@click.option("--dropout", default=0.05, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--prior-go-graph", help="Take genes and prior edges from this stored GO graph.")
def simulate_command(
    out: Path,
    n_genes: int,
    singles: int,
    doubles: int,
    cells: int,
    control_cells: int,
    overlap: float,
    regulators: float,
    hops: int,
    interaction_rate: float,
    dispersion: float,
    dropout: float,
    seed: int,
    prior_go_graph: str | None,
) -> None:
    """Write a known-truth Perturb-seq h5ad (+ .network.tsv, .deltas.tsv) to OUT."""
    config = SimulationConfig(
        n_genes=n_genes, n_singles=singles, n_doubles=doubles, cells_per_condition=cells,
        control_cells=control_cells, regulators_per_gene=regulators, overlap=overlap, hops=hops,
        interaction_rate=interaction_rate, dispersion=dispersion, dropout=dropout, seed=seed,
    )  # fmt: skip
    genes, prior = None, None
    if prior_go_graph:
        with open_graph() as graph:
            genes, prior = pipeline.go_prior(graph, prior_go_graph, n_genes, seed)
        click.echo(f"prior: {len(prior)} GO_SIMILAR edges over {len(genes)} genes")
    result = simulate(config, genes=genes, prior_edges=prior)
    paths = save(result, out)
    n_cond = len(result.deltas) - 1
    click.echo(
        f"{result.adata.n_obs} cells x {result.adata.n_vars} genes, {n_cond} perturbations "
        f"({len(result.interacting)} interacting doubles), {len(result.network)} true edges"
    )
    for kind, path in paths.items():
        click.echo(f"  {kind:8} {path}")


COMMANDS = (train, simulate_command)
