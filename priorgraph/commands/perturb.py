"""Perturb-seq commands: ``ingest perturbseq``, ``split``, ``baseline``, ``runs``, ``effects``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from priorgraph.commands.common import open_graph
from priorgraph.commands.gene_names import GENE_REFERENCE, load_resolver, unknown_genes_option
from priorgraph.ingest import sources as registry
from priorgraph.ingest.perturbseq import PerturbSeqConfig, dataset_dir, ingest, load_dataset
from priorgraph.ingest.splits import (
    KINDS,
    build_coexpression,
    list_splits,
    load_split,
    make_split,
    splits_dir,
    write_coexpression,
)
from priorgraph.models import baselines, writeback
from priorgraph.models.effect_selection import EffectSelection
from priorgraph.output import FORMATS, echo_rows
from priorgraph.queries import effects as effect_queries

STORE_HELP = "Folder of ingested data sets (default: $PRIORGRAPH_HOME/perturbseq)."
store_option = click.option("--store", type=click.Path(path_type=Path), help=STORE_HELP)
format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True
)


def _column_value(text: str) -> tuple[str, str]:
    """``COLUMN=VALUE`` of ``--where``."""
    column, sep, value = text.partition("=")
    if not sep or not column:
        raise click.BadParameter(f"expected COLUMN=VALUE, got {text!r}", param_hint="--where")
    return column, value


def selection_options(command):
    """``--top-per-perturbation``, ``--top-per-gene``, ``--threshold``: the effects of a run that
    the graph keeps (its prediction matrix file keeps all)."""
    default = writeback.DEFAULT_SELECTION
    options = [
        click.option("--top-per-perturbation", type=click.IntRange(0), show_default=True,
                     default=default.top_per_perturbation,
                     help="Graph keeps each perturbation's strongest N predicted effects."),
        click.option("--top-per-gene", type=click.IntRange(0), show_default=True,
                     default=default.top_per_gene,
                     help="... and each gene's N most strongly predicted perturbations."),
        click.option("--threshold", type=click.FloatRange(min=0, min_open=True),
                     default=default.threshold, show_default=True,
                     help="... and every effect with |delta| >= this."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def effect_selection(
    top_per_perturbation: int, top_per_gene: int, threshold: float
) -> EffectSelection:
    return EffectSelection(top_per_perturbation, top_per_gene, threshold)


@click.command("perturbseq")
@click.argument("source")
@click.option("--dataset", required=True, help="Data set name (id of its Dataset node).")
@click.option("--condition-col", default="condition", show_default=True)
@click.option("--separator", default="+", show_default=True)
@click.option(
    "--control", default=None, help="Control label (default: found among ctrl, control, …)."
)
@click.option(
    "--where", multiple=True, metavar="COLUMN=VALUE",
    help="Keep cells with obs[COLUMN] == VALUE (repeatable), e.g. dataset=norman19.",
)  # fmt: skip
@click.option("--gene-col", default=None, help="var column with gene symbols (default var_names).")
@click.option("--layer", default=None, help="Layer with the expression (default X).")
@click.option("--species", default="human", show_default=True)
@click.option("--min-cells", default=10, show_default=True, type=click.IntRange(1))
@click.option("--top-de", default=20, show_default=True, type=click.IntRange(1))
@click.option("--no-graph", is_flag=True, help="Only compute and save the files.")
@click.option(
    "--add-unknown-genes",
    is_flag=True,
    help="Create Gene nodes for targets that are neither in the graph nor measured.",
)
@unknown_genes_option("warn", "kept as given")
@GENE_REFERENCE
@store_option
def ingest_perturbseq(
    source: str,
    dataset: str,
    condition_col: str,
    separator: str,
    control: str | None,
    where: tuple[str, ...],
    gene_col: str | None,
    layer: str | None,
    species: str,
    min_cells: int,
    top_de: int,
    no_graph: bool,
    add_unknown_genes: bool,
    unknown_genes: str,
    gene_reference: str,
    store: Path | None,
) -> None:
    """Ingest a Perturb-seq h5ad (a path or a registered source name).

    Gene names of var and of the targets are resolved to approved symbols.
    """
    config = PerturbSeqConfig(
        dataset=dataset, condition_col=condition_col, separator=separator, control=control,
        where=tuple(_column_value(w) for w in where), gene_col=gene_col, layer=layer,
        species=species, min_cells=min_cells, n_top_de=top_de,
    )  # fmt: skip
    path = registry.resolve(source).path
    names = {"unknown_genes": unknown_genes}
    if no_graph:
        names["genes"] = load_resolver(None, species, gene_reference)
        report, counts = ingest(None, path, config, store=store, **names)
    else:
        with open_graph() as graph:
            names["genes"] = load_resolver(graph, species, gene_reference)
            report, counts = ingest(
                graph, path, config, store=store, add_unknown_genes=add_unknown_genes, **names
            )
    for line in report.lines():
        click.echo(line)
    for part, c in counts.items():
        click.echo(f"  {part:16} {c.rows:6} rows, {c.nodes_created + c.relationships_created} new")


@click.group()
def split() -> None:
    """Train/val/test splits of an ingested data set and their co-expression graphs."""


@split.command("create")
@click.argument("dataset")
@click.argument("name")
@click.option("--kind", type=click.Choice(KINDS), default="simulation", show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--train-gene-set-size", type=float, help="simulation: share of seen genes (0.75)")
@click.option("--combo-seen2-train-frac", type=float, help="simulation: (0.75)")
@click.option("--train-fraction", type=float, help="double: share of doubles in train (0.5)")
@click.option("--val-fraction", type=float, help="double: share of held-out doubles in val (0.1)")
@click.option("--test", "test", multiple=True, help="custom: a test condition (repeatable).")
@click.option("--val", "val", multiple=True, help="custom: a validation condition (repeatable).")
@click.option("--k", "k", default=20, show_default=True, help="Co-expression partners per gene.")
@click.option("--threshold", default=0.4, show_default=True, help="Co-expression |r| cut-off.")
@click.option("--no-graph", is_flag=True, help="Only save the split; no co-expression edges.")
@store_option
def split_create(
    dataset: str,
    name: str,
    kind: str,
    seed: int,
    train_gene_set_size: float | None,
    combo_seen2_train_frac: float | None,
    train_fraction: float | None,
    val_fraction: float | None,
    test: tuple[str, ...],
    val: tuple[str, ...],
    k: int,
    threshold: float,
    no_graph: bool,
    store: Path | None,
) -> None:
    """Create split NAME of DATASET, save it, and store its training co-expression graph."""
    given = {
        "train_gene_set_size": train_gene_set_size,
        "combo_seen2_train_frac": combo_seen2_train_frac,
        "train_fraction": train_fraction,
        "val_fraction": val_fraction,
    }
    record = load_dataset(dataset, store)
    params = {key: v for key, v in given.items() if v is not None}
    if (test or val) and kind != "custom":
        raise click.UsageError("--test/--val name the conditions of a --kind custom split")
    made = make_split(kind, name, record, seed, test=test, val=val, **params)
    path = made.save(splits_dir(dataset, store))
    click.echo(f"split {name}: {len(made.train)} train, {len(made.val)} val, {len(made.test)} test")
    for group, conditions in made.subgroups.items():
        click.echo(f"  {group:14} {len(conditions)}")
    click.echo(f"saved to {path}")
    if no_graph:
        return
    edges = build_coexpression(record, made, k=k, threshold=threshold)
    with open_graph() as graph:
        counts = write_coexpression(graph, record, made, edges)
    click.echo(
        f"COEXPRESSED: {counts.rows} edges from training cells ({counts.unmatched} unmatched)"
    )


@split.command("list")
@click.argument("dataset")
@store_option
@format_option
def split_list(dataset: str, store: Path | None, fmt: str) -> None:
    """Saved splits of DATASET."""
    rows = [
        {"name": s.name, "kind": s.kind, "seed": s.seed, "train": len(s.train),
         "val": len(s.val), "test": len(s.test)}
        for s in list_splits(dataset, store)
    ]  # fmt: skip
    echo_rows(rows, fmt)


@split.command("show")
@click.argument("dataset")
@click.argument("name")
@store_option
@format_option
def splitecho_rows(dataset: str, name: str, store: Path | None, fmt: str) -> None:
    """Every condition of split NAME with its set and test subgroup."""
    saved = load_split(dataset, name, store)
    groups = saved.subgroup_of()
    rows = [
        {"condition": c, "set": s, "subgroup": groups.get(c, "")}
        for c, s in sorted(saved.assignment().items())
    ]
    echo_rows(rows, fmt)


@click.command()
@click.argument("dataset")
@click.argument("split_name", metavar="SPLIT")
@click.option(
    "--model", type=click.Choice(["no_change", "train_mean", "additive", "linear"]),
    default="linear", help="Baselines without graph inputs (all models: `priorgraph train`).",
)  # fmt: skip
@click.option("--k", "k", default=10, show_default=True, help="linear: principal components.")
@click.option("--ridge", default=0.1, show_default=True, help="linear: ridge penalty λ.")
@click.option(
    "--features",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="linear: gene-feature CSV/TSV (genes in rows) for P instead of PCA.",
)
@click.option("--on", "on", type=click.Choice(["test", "val"]), multiple=True, default=["test"])
@click.option("--no-write", is_flag=True, help="Evaluate only; write nothing to the graph.")
@selection_options
@store_option
@format_option
def baseline(
    dataset: str,
    split_name: str,
    model: str,
    k: int,
    ridge: float,
    features: Path | None,
    on: tuple[str, ...],
    no_write: bool,
    top_per_perturbation: int,
    top_per_gene: int,
    threshold: float,
    store: Path | None,
    fmt: str,
) -> None:
    """Fit a baseline on SPLIT's training data, evaluate it, write its predictions back: every
    value to the run's matrix file, the strongest effects to the graph."""
    record = load_dataset(dataset, store)
    pb = record.pseudobulk()
    chosen = load_split(dataset, split_name, store)
    params = {}
    if model == "linear":
        params = {"k": k, "ridge": ridge, "embedding": "pca"}
        if features is not None:
            params.update(features=baselines.read_features(features), embedding=features.name)
    result = baselines.run_baseline(
        baselines.make_model(model, **params), pb, chosen, record.pseudobulk_sha256, on=on
    )
    rows = [
        {"subgroup": group, **{m: round(v, 4) for m, v in values.items()}}
        for group, values in result.evaluation.per_subgroup.items()
    ]
    echo_rows(rows, fmt)
    if no_write:
        return
    directory = dataset_dir(dataset, store) / "runs" / result.run.id
    with open_graph() as graph:
        n = writeback.write_run(
            graph, result.run, result.deltas(pb.control_mean), pb.genes, directory=directory,
            species=record.config.species,
            selection=effect_selection(top_per_perturbation, top_per_gene, threshold),
            progress=fmt == "table",
        )  # fmt: skip
    click.echo(f"run {result.run.id}: {n} predicted effects written", err=True)


@click.group()
def runs() -> None:
    """Model runs written back to the graph."""


@runs.command("list")
@click.option("--dataset", default=None)
@format_option
def runs_list(dataset: str | None, fmt: str) -> None:
    """Every run, newest first."""
    with open_graph() as graph:
        rows = writeback.list_runs(graph, dataset)
    echo_rows(rows, fmt)


@runs.command("show")
@click.argument("run")
@click.option("--history", is_flag=True, help="Also the loss history, one row per round.")
@store_option
@format_option
def runs_show(run: str, history: bool, store: Path | None, fmt: str) -> None:
    """A run's configuration, its metrics per subgroup and per perturbation, and (for trained
    models) its best round and loss history, from the graph and the run's run.json."""
    with open_graph() as graph:
        info = writeback.show_run(graph, run)
    metrics = info.pop("metrics")
    saved = dataset_dir(info["dataset"], store) / "runs" / run / "run.json"
    details = json.loads(saved.read_text()) if saved.is_file() else {}
    if "best_round" in details and details["best_round"] is not None:
        info["best_round"] = f"{details['best_round']} of {len(details['history'])} rounds"
    echo_rows([{"property": key, "value": value} for key, value in sorted(info.items())], fmt)
    echo_rows([{"subgroup": group, **values} for group, values in metrics.items()], fmt)
    per = details.get("per_perturbation", {})
    echo_rows([{"perturbation": c, **values} for c, values in per.items()], fmt)
    if history:
        echo_rows(details.get("history", []), fmt)
    if not saved.is_file():
        click.echo(f"({saved} not found: per-perturbation metrics and history are in run.json)",
                   err=True)  # fmt: skip


@runs.command("delete")
@click.argument("run")
def runs_delete(run: str) -> None:
    """Delete a run: its predicted effects, learned edges and prediction matrix file."""
    with open_graph() as graph:
        n = writeback.delete_run(graph, run)
    click.echo(f"deleted run {run} and {n} predicted effects")


@click.command()
@click.option("--gene", help="Gene symbol: which perturbations move it.")
@click.option("--perturbation", help="Condition label (A+B): which genes it moves.")
@click.option("--run", default=None, help="Only this run's predictions (default: every run).")
@click.option("--dataset", default=None, help="Only this data set.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(1))
@click.option(
    "--all", "every", is_flag=True,
    help="With --gene: every perturbation's predicted value, from the runs' matrix files "
    "(the graph keeps each run's strongest effects); --top does not apply.",
)  # fmt: skip
@click.option("--species", default="human", show_default=True)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --perturbation, --run and --dataset: PNG of predicted vs observed deltas.",
)
@format_option
def effects(
    gene: str | None,
    perturbation: str | None,
    run: str | None,
    dataset: str | None,
    top: int,
    every: bool,
    species: str,
    plot: Path | None,
    fmt: str,
) -> None:
    """Predicted (and observed) effects for a gene or a perturbation.

    From the graph: each run's strongest effects with the observed ones. With --gene and
    --all: every predicted value of the runs' prediction matrices.
    """
    if (gene is None) == (perturbation is None):
        raise click.UsageError("give exactly one of --gene or --perturbation")
    if every and gene is None:
        raise click.UsageError("--all goes with --gene")
    if plot is not None and (perturbation is None or run is None or dataset is None):
        raise click.UsageError("--plot needs --perturbation, --run and --dataset")
    with open_graph() as graph:
        if gene is not None and every:
            rows = effect_queries.gene_effects_all(
                graph, gene, run=run, dataset=dataset, species=species
            )
        elif gene is not None:
            rows = effect_queries.gene_effects(
                graph, gene, run=run, top=top, dataset=dataset, species=species
            )
        else:
            rows = effect_queries.perturbation_effects(
                graph, perturbation, run=run, top=top, dataset=dataset
            )
        if plot is not None:
            effect_queries.plot_predicted_vs_observed(graph, dataset, perturbation, run, plot)
    if not rows:
        click.echo("no effects found", err=True)
    echo_rows(rows, fmt)
    if plot is not None:
        click.echo(f"plot written to {plot}", err=True)
