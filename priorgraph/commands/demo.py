"""``priorgraph demo``: the main job end to end on a small sample.

Server → schema → GO annotations of a gene panel (real 2024 human table from the mirror, or
generated) → GO graph → Perturb-seq (real Papalexi 2021 from the mirror, or data simulated on
the GO graph) → split + co-expression → a small AdaPert run, written back → the top predicted
effects on one gene, a predicted-vs-observed PNG, and graph statistics.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from priorgraph.commands.common import open_graph
from priorgraph.core.config import external_settings, home_dir
from priorgraph.core.errors import SourceError
from priorgraph.ingest import sample as demo_sample
from priorgraph.ingest import sources
from priorgraph.ingest.go import ingest_panel
from priorgraph.ingest.go_graph import GOGraphSpec, build_go_graph
from priorgraph.ingest.perturbseq import (
    PerturbSeqConfig,
    ingest,
    load_dataset,
    perturbation_panel,
)
from priorgraph.ingest.splits import build_coexpression, make_split, splits_dir, write_coexpression
from priorgraph.kg import ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import apply_schema
from priorgraph.kg.server import LocalServer
from priorgraph.models import pipeline
from priorgraph.models.simulate import SimulationConfig, simulate
from priorgraph.models.train import TrainConfig
from priorgraph.output import render
from priorgraph.queries.effects import gene_effects, plot_predicted_vs_observed
from priorgraph.queries.overview import graph_stats

GO_GRAPH = "demo_go"
SPLIT = "demo"
SIMULATION = SimulationConfig(n_genes=40, n_singles=12, n_doubles=16, cells_per_condition=40,
                              control_cells=200, seed=0)  # fmt: skip


def _perturbseq_source(generated: bool) -> Path | None:
    """The mirrored Papalexi h5ad, or None (generated data)."""
    if generated:
        return None
    try:
        return sources.fetch("perturb.papalexi2021")
    except SourceError as err:
        click.echo(f"real Perturb-seq unavailable ({err}); simulating one")
        return None


def _load_go(graph: Graph, h5ad: Path | None) -> tuple[list[str], Path | None]:
    """GO for the demo: the real ontology + the panel's 2024 human annotations through the GO
    ingest, or a generated sample (and then simulated Perturb-seq data, h5ad None). Returns the
    gene ids the GO graph is built over and the Perturb-seq file to use."""
    if h5ad is not None:
        panel = perturbation_panel(h5ad)
        try:
            report = ingest_panel(graph, panel, progress=True)
        except SourceError as err:
            click.echo(f"real GO files unavailable ({err}); using a generated sample")
        else:
            click.echo(
                f"GO: {report.terms:,} terms; {report.genes} of {len(panel)} panel genes annotated"
                f" ({report.annotations:,} annotations; {len(report.problems)} file problems "
                "skipped)"
            )
            return [ids.gene_id(g) for g in panel], h5ad
    sample = demo_sample.generated_sample(n_genes=SIMULATION.n_genes + 10, n_terms=60)
    counts = demo_sample.load_sample(graph, sample)
    click.echo(f"GO: generated sample, {counts['ANNOTATED_WITH'].rows} annotations")
    return [g["id"] for g in sample.genes], None


def _simulated(graph: Graph, directory: Path) -> Path:
    """Counts simulated from a hidden network half taken from the demo GO graph."""
    genes, prior = pipeline.go_prior(graph, GO_GRAPH, SIMULATION.n_genes, SIMULATION.seed)
    path = directory / "demo_simulated.h5ad"
    directory.mkdir(parents=True, exist_ok=True)
    simulate(SIMULATION, genes=genes, prior_edges=prior).adata.write_h5ad(path)
    return path


def _effect_row(row: dict) -> dict:
    """One effects row for the terminal: the columns a reader compares (the table rounds the
    deltas to 3 significant digits)."""
    return {k: row[k] for k in ("perturbation", "predicted", "rank", "observed", "de_rank")}


@click.command()
@click.option(
    "--generated", is_flag=True, help="Use the generated sample even if the mirror exists."
)
@click.option("--epochs", default=30, show_default=True, help="AdaPert training epochs.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("out/demo_predicted_vs_observed.png"),
    show_default=True,
    help="PNG of predicted vs observed deltas.",
)
def demo(generated: bool, epochs: int, plot: Path) -> None:
    """Run the whole chain on a small sample (real if mirrored) and print what it found."""
    if external_settings() is None:
        info = LocalServer.default().start()
        click.echo(f"Neo4j at {info['uri']} ({'reused' if info['reused'] else 'started'})")
    h5ad = _perturbseq_source(generated)
    with open_graph() as graph:
        names = apply_schema(graph)
        click.echo(f"schema: {len(names)} constraints and indexes online")
        genes, h5ad = _load_go(graph, h5ad)
        record = build_go_graph(graph, GOGraphSpec(GO_GRAPH), genes)
        click.echo(f"GO graph {GO_GRAPH}: {record['n_edges']} edges over {record['n_genes']} genes")
        dataset = "papalexi2021" if h5ad else "demo_simulated"
        if h5ad is None:
            h5ad = _simulated(graph, home_dir() / "demo")
        report, _ = ingest(graph, h5ad, PerturbSeqConfig(dataset))
        click.echo(f"Perturb-seq {dataset}: " + report.lines()[0])
        data = load_dataset(dataset)
        split = make_split("simulation", SPLIT, data, seed=1)
        split.save(splits_dir(dataset), overwrite=True)
        write_coexpression(graph, data, split, build_coexpression(data, split))
        click.echo(f"split {SPLIT}: {len(split.train)} train, {len(split.val)} val, "
                   f"{len(split.test)} test")  # fmt: skip
        result = pipeline.train_run(
            graph, dataset, SPLIT, "adapert", go_graph=GO_GRAPH,
            config=pipeline.model_config("adapert", tiny=True),
            train_config=TrainConfig(epochs=epochs, threads=1),
        )  # fmt: skip
        overall = result.evaluation.per_subgroup["all"]
        click.echo(
            f"AdaPert run {result.run.id}: trained in {result.seconds:.1f} s; test "
            f"pearson_delta {overall['pearson_delta']:.3f}, weighted_mse "
            f"{overall['weighted_mse']:.3f}; {result.n_effects} predicted effects and "
            f"{result.n_learned_edges} learned edges written"
        )
        pb = data.pseudobulk()
        deltas = np.abs(np.stack([p - pb.control_mean for p in result.predictions.values()]))
        gene = pb.genes[int(deltas.mean(0).argmax())]
        click.echo(f"top predicted effects on {gene}:")
        effects = gene_effects(graph, gene, run=result.run.id, top=10, dataset=dataset)
        render([_effect_row(row) for row in effects], "table")
        condition = list(result.predictions)[int(deltas.sum(1).argmax())]
        plot.parent.mkdir(parents=True, exist_ok=True)
        plot_predicted_vs_observed(graph, dataset, condition, result.run.id, plot)
        click.echo(f"predicted vs observed deltas of {condition}: {plot}")
        render(graph_stats(graph), "table")
