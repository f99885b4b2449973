"""GO commands: ``ingest go``, ``go-graph build|list|query``, ``export go-graph|biolord-go``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from priorgraph.commands.common import open_graph
from priorgraph.commands.gene_names import (
    GENE_REFERENCE,
    echo_name_report,
    load_resolver,
    unknown_genes_option,
)
from priorgraph.core.datafiles import read_h5ad
from priorgraph.core.errors import UsageError
from priorgraph.ingest import go as go_ingest
from priorgraph.ingest import sources as registry
from priorgraph.ingest.go_graph import (
    DEFAULT_K,
    DEFAULT_THRESHOLD,
    GOGraphSpec,
    build_go_graph,
    read_gene_list,
)
from priorgraph.kg import cypher, ids
from priorgraph.output import FORMATS, echo_rows


@click.command("go")
@click.option("--obo", help="GO ontology: an OBO file or a registry name (go.basic.obo).")
@click.option("--gaf", help="Annotations: a GAF 2.x file (.gz ok) or a registry name.")
@click.option("--table", help="Annotations: a two-column gene<TAB>go_id table or registry name.")
@click.option("--gears-pickle", help="Annotations: GEARS's gene2go pickle or a registry name.")
@click.option("--source", help="Annotation source name (default: registry name or go.<format>).")
@click.option(
    "--version",
    "version",
    help="Annotation source version (default: registry version or the file's sha256 prefix).",
)
@click.option("--species", default=ids.DEFAULT_SPECIES, show_default=True)
@click.option("--propagate", is_flag=True, help="Add ancestors (IS_A/PART_OF) as inferred.")
@click.option(
    "--on-error",
    type=click.Choice(["raise", "skip"]),
    default="raise",
    show_default=True,
    help="skip: leave bad lines out and list them in the report.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the ingest report (counts, remapped terms, problems) as JSON.",
)
@unknown_genes_option("warn", "their annotations are left out")
@GENE_REFERENCE
def ingest_go(
    obo: str | None,
    gaf: str | None,
    table: str | None,
    gears_pickle: str | None,
    source: str | None,
    version: str | None,
    species: str,
    propagate: bool,
    on_error: str,
    report: Path | None,
    unknown_genes: str,
    gene_reference: str,
) -> None:
    """GO ontology and/or gene annotations, checked first and written in one transaction.

    Gene names are resolved to approved symbols (previous symbols, aliases, Ensembl ids).
    """
    given = {k: v for k, v in (("gaf", gaf), ("table", table), ("gears-pickle", gears_pickle)) if v}
    if len(given) > 1:
        raise click.UsageError("give one of --gaf, --table, --gears-pickle")
    kind, value = next(iter(given.items()), ("gaf", None))
    ontology = registry.resolve(obo) if obo else None
    annotations = registry.resolve(value) if value else None
    ann_source = annotations.source if annotations else None
    with open_graph() as graph:
        result = go_ingest.ingest_go(
            graph,
            obo=ontology.path if ontology else None,
            annotations=annotations.path if annotations else None,
            kind=kind,
            source=source or (ann_source.name if ann_source else None),
            version=version or (ann_source.version if ann_source else None),
            ontology_source=ontology.source.name if ontology and ontology.source else "go.obo",
            species=species,
            propagate=propagate,
            on_error=on_error,  # type: ignore[arg-type]
            genes=load_resolver(graph, species, gene_reference) if annotations else None,
            unknown_genes=unknown_genes,  # type: ignore[arg-type]
        )
    summary = result.as_dict()
    if report is not None:
        report.write_text(json.dumps(summary, indent=2, default=str))
    click.echo(
        f"GO ingest: {result.terms} terms, {result.edges}, {result.genes} genes, "
        f"{result.annotations} annotations (+{result.inferred} inferred), "
        f"{result.not_excluded} NOT-qualified excluded, {len(result.remapped)} remapped, "
        f"{len(result.problems)} problems skipped"
    )
    if result.non_go_terms:
        left_out = result.non_go_terms
        shown = ", ".join(left_out[:10]) + (" …" if len(left_out) > 10 else "")
        click.echo(f"  left out {len(left_out)} [Term] stanzas that are not GO terms: {shown}")
    for problem in result.problems[:20]:
        click.echo(f"  skipped {problem}")
    echo_name_report(result.gene_names, "gene names")


@click.group("go-graph")
def go_graph() -> None:
    """GEARS GO-similarity graphs stored as GO_SIMILAR {jaccard, rank, graph}."""


@go_graph.command("build")
@click.option("--name", default="gears_go", show_default=True, help="Graph name.")
@click.option(
    "--genes",
    "genes_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Gene list (one per line); default: every annotated gene.",
)
@click.option("--k", default=DEFAULT_K, show_default=True, help="Neighbours per gene (+ self).")
@click.option("--threshold", default=DEFAULT_THRESHOLD, show_default=True, help="Keep J > this.")
@click.option("--source", help="Annotation source to use (default: all).")
@click.option("--include-inferred", is_flag=True, help="Use propagated annotations too.")
@click.option("--species", default=ids.DEFAULT_SPECIES, show_default=True)
def build(
    name: str,
    genes_file: str | None,
    k: int,
    threshold: float,
    source: str | None,
    include_inferred: bool,
    species: str,
) -> None:
    """Compute a GO graph from the annotations in the graph and store it under NAME."""
    genes = read_gene_list(genes_file, species) if genes_file else None
    with open_graph() as graph:
        start = time.perf_counter()
        spec = GOGraphSpec(name, k, threshold, source, include_inferred)
        record = build_go_graph(graph, spec, genes)
    click.echo(
        f"GO graph {name!r}: {record['n_genes']} genes, {record['n_edges']} edges, "
        f"{len(record['unannotated'])} unannotated, build {record['build']} "
        f"({time.perf_counter() - start:.1f} s)"
    )


@go_graph.command("list")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def list_graphs(fmt: str) -> None:
    """The stored GO graphs and their parameters."""
    with open_graph() as graph:
        echo_rows(cypher.run(graph, "go_graphs"), fmt)


def _go_export(graph, genes, k, graph_name, source, threshold, drop, names):
    from priorgraph.queries.export_go import go_graph_export  # torch: loaded only when exporting

    species, reference, unknown_genes = names
    result = go_graph_export(
        graph,
        genes,
        k=k,
        graph_name=graph_name,
        source=source,
        threshold=threshold,
        drop_unannotated=drop,
        resolver=load_resolver(graph, species, reference),
        unknown_genes=unknown_genes,
        progress=True,
    )
    echo_name_report(result.meta.get("gene_names"), "gene list")
    if duplicates := result.meta.get("duplicates"):
        click.echo(f"gene list: {len(duplicates):,} names of genes listed before, dropped: "
                   f"{', '.join(duplicates[:10])}")  # fmt: skip
    return result


_export_options = (
    click.option("--k", default=DEFAULT_K, show_default=True, help="Neighbours per gene (+ self)."),
    click.option(
        "--graph",
        "graph_name",
        help="Use this stored GO graph (default: compute "
        "for exactly the gene list from the annotations).",
    ),
    click.option("--source", help="Annotation source (default: all)."),
    click.option("--threshold", default=DEFAULT_THRESHOLD, show_default=True),
    click.option("--drop-unannotated", is_flag=True, help="Drop genes without GO annotation."),
    click.option("--species", default=ids.DEFAULT_SPECIES, show_default=True),
    unknown_genes_option("error", "kept as isolated nodes under the given name"),
    GENE_REFERENCE,
)


def _with_export_options(command):
    for option in reversed(_export_options):
        command = option(command)
    return command


EXPORT_FORMATS = ("pt", "gears")


@click.command("go-graph")
@click.option("--genes", "genes_file", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="pt",
              show_default=True, help="pt: PyG Data + id map + hash (torch.save); gears: "
              "GEARS's source,target,importance CSV of gene symbols.")  # fmt: skip
@_with_export_options
def export_go_graph(genes_file, out, fmt, k, graph_name, source, threshold, drop_unannotated,
                    species, unknown_genes, gene_reference):  # fmt: skip
    """The GEARS GO graph over a gene list → torch_geometric Data (+ OUT.ids.tsv, hash), or
    GEARS's own CSV (--format gears).

    Genes may be approved symbols, previous symbols, aliases or Ensembl ids.
    """
    with open_graph() as graph:
        genes = read_gene_list(genes_file, species)
        result = _go_export(graph, genes, k, graph_name, source, threshold, drop_unannotated,
                            (species, gene_reference, unknown_genes))  # fmt: skip
    if fmt == "gears":
        from priorgraph.queries.export_formats import write_gears_csv

        write_gears_csv(result, out)
        click.echo(f"{out}: GEARS GO graph, {len(result.node_ids['node']):,} genes, "
                   f"{result.meta['n_edges']:,} edges (source,target,importance)")  # fmt: skip
    else:
        result.save(out)
        click.echo(f"{out}: {result.describe()}")


@click.command("biolord-go")
@click.option("--h5ad", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--genes",
    "genes_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Gene list of the GO graph (default: every gene any condition perturbs).",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--condition-key", default="condition", show_default=True)
@click.option("--control", default="ctrl", show_default=True)
@click.option("--layer", help="Expression from this layer (default X).")
@click.option("--normalise", type=click.Choice(["auto", "log1p", "none"]), default="auto",
              show_default=True, help="auto: log-normalise raw counts, keep normalised values; "
              "log1p: always; none: never.")  # fmt: skip
@_with_export_options
def export_biolord(
    h5ad,
    genes_file,
    out,
    condition_key,
    control,
    layer,
    normalise,
    k,
    graph_name,
    source,
    threshold,
    drop_unannotated,
    species,
    unknown_genes,
    gene_reference,
):
    """bioLORD genetic-perturbation AnnData: the control and each single perturbation, mean
    log-normalised expression, and the GO-neighbour vectors in obsm['go_neighbours'] over the
    whole perturbation universe."""
    from priorgraph.queries import export_go

    adata = read_h5ad(h5ad)
    if condition_key not in adata.obs:
        raise UsageError(f"{h5ad} has no obs column {condition_key!r}")
    if genes_file is not None:
        genes = read_gene_list(genes_file, species)
    else:
        conditions = adata.obs[condition_key].astype(str)
        genes = [
            ids.gene_id(g, species)
            for g in export_go.perturbation_universe(conditions, control=control)
        ]
    with open_graph() as graph:
        result = _go_export(graph, genes, k, graph_name, source, threshold, drop_unannotated,
                            (species, gene_reference, unknown_genes))  # fmt: skip
    layout = export_go.biolord_anndata(adata, result, condition_key=condition_key,
                                       control=control, species=species, layer=layer,
                                       normalise=normalise)  # fmt: skip
    layout.write_h5ad(out)
    key = export_go.FEATURES_KEY
    missing = layout.uns[f"{key}_missing"]
    empty = int((layout.obsm[key][1:].sum(axis=1) == 0).sum())
    click.echo(
        f"{out}: control + {layout.n_obs - 1} single perturbations × {layout.n_vars} genes "
        f"(expression: {layout.uns['priorgraph_go_export']['expression']}); GO vectors over "
        f"{len(result.node_ids['node'])} genes, {len(layout.uns[f'{key}_targets'])} targets in "
        f"uns['{key}_targets']; {empty} single(s) without a GO neighbour; not in the GO "
        f"export: {list(missing) or 'none'}"
    )
