"""``priorgraph demo``: the platform end to end, on real data when the data mirror is there.

Real path (``PRIORGRAPH_DATA_DIR`` holds the mirror): server → schema → the whole human GO
(2024 ontology and 252k annotations) → the Norman 2019 K562 CRISPRa subset (real double
perturbations) → one partition of the benchmark's ``doubles`` protocol (control + every single +
half of the doubles train) → the baselines and the graph GP, written back → held-out doubles:
metrics per category, the genes of one double predicted next to observed (table + PNG read back
from the graph) → "which perturbations move this gene?" as one query → an AdaPert run that writes
its learned subgraphs → graph statistics.

Without the mirror (or ``--generated``) the same chain runs on a generated GO sample and
Perturb-seq data simulated on its GO graph, and says so.
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
from priorgraph.ingest.gene_resolution import GeneResolver
from priorgraph.ingest.go import ingest_go
from priorgraph.ingest.go_graph import GOGraphSpec, build_go_graph
from priorgraph.ingest.perturbseq import PerturbSeqConfig, ingest, load_dataset
from priorgraph.ingest.splits import (
    benchmark_splits,
    build_coexpression,
    splits_dir,
    write_coexpression,
)
from priorgraph.kg import ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import apply_schema
from priorgraph.kg.server import LocalServer
from priorgraph.models import pipeline
from priorgraph.models.benchmark import summarise
from priorgraph.models.simulate import SimulationConfig, simulate
from priorgraph.models.train import TrainConfig
from priorgraph.output import render
from priorgraph.queries.effects import gene_effects, plot_predicted_vs_observed
from priorgraph.queries.overview import graph_stats

REAL = "perturb.norman2019.subset"
MODELS = ("train_mean", "additive", "go_neighbour", "graph_gp")
BEST = "graph_gp"
SIMULATION = SimulationConfig(n_genes=40, n_singles=12, n_doubles=16, cells_per_condition=40,
                              control_cells=200, seed=0)  # fmt: skip


def _real_sources(generated: bool) -> tuple[Path, Path, Path] | None:
    """The mirrored GO ontology, GO table and Norman subset, or None (generated data)."""
    if generated:
        return None
    try:
        return (sources.fetch("go.basic.2024.isa_only"), sources.fetch("go.gene2go.human.2024"),
                sources.fetch(REAL))  # fmt: skip
    except SourceError as err:
        click.echo(f"real data unavailable ({err}); using generated data instead")
        return None


def _load_real(graph: Graph, obo: Path, table: Path, h5ad: Path) -> str:
    genes = GeneResolver.load(graph)  # approved symbols, previous symbols, HGNC aliases
    report = ingest_go(graph, obo=obo, annotations=table, kind="table", source="go.gene2go.human",
                       version=sources.get("go.gene2go.human.2024").version, genes=genes,
                       progress=True)  # fmt: skip
    click.echo(
        f"GO: {report.terms:,} terms, {report.annotations:,} annotations of {report.genes:,} "
        f"human genes ({len(report.problems)} file problems skipped)"
    )
    # the stored GEARS GO graph the Browser guide walks (STAT1's GO neighbourhood)
    stored = build_go_graph(graph, GOGraphSpec("demo_go"), progress=True)
    click.echo(f"GO graph demo_go (GEARS: Jaccard, top 20 + self): {stored['n_genes']:,} genes, "
               f"{stored['n_edges']:,} edges")  # fmt: skip
    dataset = "norman2019"
    perturb, _ = ingest(graph, h5ad, PerturbSeqConfig(dataset), genes=genes, progress=True)
    click.echo(f"Perturb-seq {dataset} (Norman 2019, K562 CRISPRa): " + perturb.lines()[0])
    return dataset


def _load_generated(graph: Graph) -> str:
    sample = demo_sample.generated_sample(n_genes=SIMULATION.n_genes + 10, n_terms=60)
    counts = demo_sample.load_sample(graph, sample)
    click.echo(f"GO: generated sample, {counts['ANNOTATED_WITH'].rows} annotations")
    build_go_graph(graph, GOGraphSpec("demo_go"), progress=False)
    genes, prior = pipeline.go_prior(graph, "demo_go", SIMULATION.n_genes, SIMULATION.seed)
    path = home_dir() / "demo" / "demo_simulated.h5ad"
    path.parent.mkdir(parents=True, exist_ok=True)
    simulate(SIMULATION, genes=genes, prior_edges=prior).adata.write_h5ad(path)
    dataset = "demo_simulated"
    report, _ = ingest(graph, path, PerturbSeqConfig(dataset), progress=False)
    click.echo(f"Perturb-seq {dataset} (simulated on the GO graph): " + report.lines()[0])
    return dataset


def _summary_rows(results: dict[str, pipeline.RunResult], category: dict[str, str]) -> list[dict]:
    """Mean pearson_delta and L2 per test category and model."""
    import pandas as pd

    rows = [{"model": name, "perturbation": c, "category": category[c], "fold": 0,
             "l2": m["l2_top_expressed"], **m}
            for name, result in results.items()
            for c, m in result.evaluation.per_perturbation.items()]  # fmt: skip
    summary = summarise(pd.DataFrame(rows))
    summary = summary[summary["category"] != "all"]
    return [{"category": r["category"], "model": r["model"], "n": r["n"],
             "pearson_delta": round(r["pearson_delta_mean"], 3), "L2": round(r["l2_mean"], 3),
             "beats additive (L2)": f"{r['beats_additive_l2']:.0%}"}
            for r in summary.to_dict("records")]  # fmt: skip


@click.command()
@click.option("--generated", is_flag=True, help="Use generated data even if the mirror exists.")
@click.option("--steps", default=300, show_default=True, help="AdaPert training steps.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("out/demo_predicted_vs_observed.png"),
    show_default=True,
    help="PNG of predicted vs observed changes of one held-out perturbation.",
)
def demo(generated: bool, steps: int, plot: Path) -> None:
    """Run the whole chain on real data (or a generated sample) and print what it found."""
    if external_settings() is None:
        info = LocalServer.default().start()
        click.echo(f"Neo4j at {info['uri']} ({'reused' if info['reused'] else 'started'})")
    real = _real_sources(generated)
    with open_graph() as graph:
        names = apply_schema(graph)
        click.echo(f"schema: {len(names)} constraints and indexes online")
        dataset = _load_real(graph, *real) if real else _load_generated(graph)
        record = load_dataset(dataset)
        pb, cfg = record.pseudobulk(), record.config
        split = benchmark_splits(dataset, [*pb.conditions, cfg.control], protocol="doubles",
                                 folds=1, seed=0, separator=cfg.separator,
                                 control=cfg.control)[0]  # fmt: skip
        split.save(splits_dir(dataset), overwrite=True)
        write_coexpression(graph, record, split, build_coexpression(record, split), progress=False)
        click.echo(f"split {split.name}: {len(split.train)} train (control, every single, half of "
                   f"the doubles), {len(split.test)} held-out doubles")  # fmt: skip

        options = pipeline.RunOptions(
            train_config=TrainConfig(steps=steps, threads=1, progress=False)
        )
        priors = pipeline.Priors(graph, pb, species=cfg.species, options=options)
        results = {}
        for name in MODELS:
            predictor = pipeline.make_predictor(name, graph=graph, record=record, split=split,
                                                priors=priors, options=options)  # fmt: skip
            results[name] = pipeline.fit_and_evaluate(predictor, pb, split,
                                                      record.pseudobulk_sha256)  # fmt: skip
            results[name].checkpoint = pipeline.save_run_files(
                results[name], pipeline.run_directory(dataset, results[name].run.id)
            )
            pipeline.write_back(graph, results[name], pb, species=cfg.species)
        click.echo("held-out doubles, mean per category (the graph GP is priorgraph's best model "
                   "on the benchmark; docs/benchmarks.md):")  # fmt: skip
        render(_summary_rows(results, split.subgroup_of()), "table")

        best = results[BEST]
        per = best.evaluation.per_perturbation
        condition = max(per, key=lambda c: per[c]["pearson_delta"])
        i = pb.row(condition)
        observed = pb.deltas[i]
        genes = np.argsort(-np.abs(observed))[:8]
        predicted = {m: results[m].predictions[condition] - pb.control_mean for m in MODELS}
        click.echo(f"{condition}, held out: the 8 genes it moves most, observed vs predicted "
                   f"(log-normalised change from control)")  # fmt: skip
        render([{"gene": pb.genes[g], "observed": round(float(observed[g]), 3),
                 **{m: round(float(predicted[m][g]), 3) for m in ("additive", BEST)}}
                for g in genes], "table")  # fmt: skip
        plot.parent.mkdir(parents=True, exist_ok=True)
        plot_predicted_vs_observed(graph, dataset, condition, best.run.id, plot)
        click.echo(f"predicted vs observed changes of {condition} (read back from the graph): "
                   f"{plot}")  # fmt: skip
        gene = pb.genes[int(genes[0])]
        click.echo(f"which held-out perturbations does {BEST} predict to move {gene}? (one query)")
        effects = gene_effects(graph, gene, run=best.run.id, top=5, dataset=dataset)
        render([{"perturbation": r["perturbation"], "predicted": round(r["predicted"], 3),
                 "observed": None if r["observed"] is None else round(r["observed"], 3)}
                for r in effects if r["predicted"] is not None], "table")  # fmt: skip

        adapert = pipeline.make_predictor("adapert", graph=graph, record=record, split=split,
                                          priors=priors, options=options)  # fmt: skip
        result = pipeline.fit_and_evaluate(adapert, pb, split, record.pseudobulk_sha256)
        result.checkpoint = pipeline.save_run_files(
            result, pipeline.run_directory(dataset, result.run.id)
        )
        pipeline.write_back(graph, result, pb, species=cfg.species)
        overall = result.evaluation.per_subgroup["all"]
        click.echo(f"AdaPert (learned perturbation-specific subgraphs): held-out pearson_delta "
                   f"{overall['pearson_delta']:.3f}, L2 {overall['l2_top_expressed']:.3f}; "
                   f"{result.n_learned_edges} learned edges written for "
                   f"{len(pb.conditions)} conditions")  # fmt: skip
        render(graph_stats(graph), "table")
        click.echo(
            "Explore it: `priorgraph browser` opens Neo4j Browser with the priorgraph guide "
            "(a gene's GO neighbourhood in demo_go, its predicted effects, learned edges); for "
            f"this data set, set `:param {{gene: '{ids.gene_id(gene, cfg.species)}', run: null, "
            f"top: 25}}` or `:param {{perturbation: '{ids.perturbation_id(dataset, condition)}', "
            "run: null, top: 50}` in its slides."
        )
