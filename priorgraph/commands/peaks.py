"""``peaks``, ``liftover`` and ``guidance``: regulatory peaks, conserved peaks, peak–gene links
and GLUE guidance-graph exports.

File arguments take a path or a registered source name (``peaks.pbmc10k_multiome``,
``ucsc.chain.hg38_hg19``, ``ensembl.genes.human.109``, …; see ``priorgraph sources``).
"""

from __future__ import annotations

from pathlib import Path

import click

from priorgraph.commands.common import open_graph
from priorgraph.commands.gene_names import (
    GENE_REFERENCE,
    echo_names,
    load_resolver,
    unknown_genes_option,
)
from priorgraph.core.utils import read_words
from priorgraph.ingest import genes as genes_mod
from priorgraph.ingest import liftover as lift_mod
from priorgraph.ingest import links as links_mod
from priorgraph.ingest import peaks as peaks_mod
from priorgraph.ingest import sources
from priorgraph.queries import export_guidance as guidance_mod

ASSEMBLY = click.option(
    "--assembly",
    "-a",
    required=True,
    type=click.Choice(sorted(peaks_mod.ASSEMBLIES)),
    help="Genome assembly.",
)


@click.group()
def peaks() -> None:
    """ATAC peaks, genes, orthologs and peak–gene links."""


@peaks.command("load")
@click.argument("bed")
@ASSEMBLY
@click.option(
    "--unknown-contigs",
    type=click.Choice(["error", "skip"]),
    default="error",
    show_default=True,
    help="Peaks on contigs outside the assembly's chromosomes.",
)
@click.option("--strict-names", is_flag=True, help="Reject `1` for `chr1` instead of renaming.")
@click.option("--format", "fmt", type=click.Choice(["auto", "bed", "narrowpeak"]), default="auto")
def peaks_load(bed: str, assembly: str, unknown_contigs: str, strict_names: bool, fmt: str) -> None:
    """Validate BED / narrowPeak and MERGE (:Peak) nodes (all or nothing)."""
    given = sources.resolve(bed)
    path, prov = given.path, given.provenance()
    peak_set = peaks_mod.read_peaks(
        path, assembly, normalise=not strict_names, unknown_contigs=unknown_contigs, fmt=fmt
    )
    click.echo(peak_set.report.summary())
    with open_graph() as graph:
        counts = peaks_mod.write_peaks(graph, peak_set, prov)
    click.echo(f"Peak nodes: {counts.nodes_created:,} created, {counts.rows:,} merged")


@peaks.command("genes")
@click.argument("annotation")
@ASSEMBLY
@click.option("--format", "fmt", type=click.Choice(["auto", "bed", "table", "gtf"]), default="auto")
@click.option("--tss", help="TSS BED (path or source) overriding the strand-derived TSS.")
@GENE_REFERENCE
def peaks_genes(
    annotation: str, assembly: str, fmt: str, tss: str | None, gene_reference: str
) -> None:
    """Gene loci of an assembly (BED, Ensembl table or GTF): (:GeneLocus)-[:LOCUS_OF]->(:Gene).

    Replaces the assembly's loci; other assemblies keep theirs. Rows are matched to genes by
    Ensembl id, then symbol (previous symbols and aliases resolved).
    """
    given = sources.resolve(annotation)
    path, prov = given.path, given.provenance()
    gene_set = genes_mod.read_genes(path, assembly, fmt=fmt)
    if tss:
        changed = genes_mod.apply_tss_bed(gene_set, sources.resolve(tss).path)
        click.echo(f"TSS BED changed {changed:,} TSSs")
    with open_graph() as graph:
        resolver = load_resolver(graph, gene_set.species, gene_reference)
        gene_set = genes_mod.resolve_genes(gene_set, resolver)
        click.echo(gene_set.report.summary())
        counts = genes_mod.write_genes(graph, gene_set, prov)
    click.echo(
        f"{assembly}: {len(gene_set.df):,} gene loci; {counts.nodes_created:,} nodes created"
    )


@peaks.command("orthologs")
@click.argument("table")
@click.option("--species-a", default="human", show_default=True)
@click.option("--species-b", default="macaque", show_default=True)
@GENE_REFERENCE
def peaks_orthologs(table: str, species_a: str, species_b: str, gene_reference: str) -> None:
    """ORTHOLOG_OF between genes of two species already in the graph (missing ones counted)."""
    given = sources.resolve(table)
    path, prov = given.path, given.provenance()
    rows = genes_mod.read_orthologs(path, species_a, species_b)
    with open_graph() as graph:
        resolvers = {s: load_resolver(graph, s, gene_reference) for s in (species_a, species_b)}
        pairs = genes_mod.check_orthologs(graph, rows, resolvers=resolvers)
        echo_names(*pairs.names)
        counts = genes_mod.write_orthologs(graph, pairs, prov)
    click.echo(
        f"ORTHOLOG_OF: {counts.relationships_created:,} created of {len(pairs.pairs):,} "
        f"pairs; {len(pairs.missing):,} pairs skipped (a gene not in the graph)"
    )


@peaks.command("links")
@ASSEMBLY
@click.option(
    "--window",
    default=links_mod.DEFAULT_WINDOW,
    show_default=True,
    type=int,
    help="Maximum distance (bp) between peak and gene region.",
)
@click.option(
    "--region",
    type=click.Choice(links_mod.REGIONS),
    default="combined",
    show_default=True,
    help="Gene region as in GLUE.",
)
@click.option("--promoter-len", default=links_mod.DEFAULT_PROMOTER_LEN, show_default=True, type=int)
@click.option(
    "--conserved-boost",
    default=1.0,
    show_default=True,
    type=float,
    help="Weight multiplier for conserved peaks (result capped at 1).",
)
def peaks_links(
    assembly: str, window: int, region: str, promoter_len: int, conserved_boost: float
) -> None:
    """Window links (:Peak)-[:LINKED_TO]->(:Gene) from the peaks and genes in the graph."""
    with open_graph() as graph:
        peak_df, gene_df = links_mod.graph_features(graph, assembly)
        if peak_df.empty or gene_df.empty:
            raise click.ClickException(
                f"{len(peak_df):,} peaks and {len(gene_df):,} genes on {assembly} in the graph: "
                "load both first (`priorgraph peaks load`, `priorgraph peaks genes`)"
            )
        links = links_mod.window_links(
            peak_df,
            gene_df,
            window=window,
            region=region,
            promoter_len=promoter_len,
            conserved_boost=conserved_boost,
        )
        method = links_mod.window_method(region, window)
        prov = links_mod.window_provenance(method, assembly)
        counts = links_mod.write_links(graph, links, prov, assembly=assembly)
    click.echo(
        f"{method}: {len(links):,} links between {len(peak_df):,} peaks and "
        f"{len(gene_df):,} genes ({counts.relationships_created:,} created)"
    )


@peaks.command("import-links")
@click.argument("table")
@ASSEMBLY
@click.option("--method", required=True, help="Name stored on the links, e.g. cicero or abc.")
@click.option("--scale", is_flag=True, help="Divide |score| by its maximum to get weights.")
@click.option("--skip-missing", is_flag=True, help="Drop links whose peak or gene is absent.")
@GENE_REFERENCE
def peaks_import_links(
    table: str, assembly: str, method: str, scale: bool, skip_missing: bool, gene_reference: str
) -> None:
    """Import an external peak–gene table (peak, gene, score[, sign]) as LINKED_TO."""
    given = sources.resolve(table)
    path, prov = given.path, given.provenance()
    link_table = links_mod.read_link_table(path, assembly, method, scale=scale)
    with open_graph() as graph:
        resolver = load_resolver(graph, peaks_mod.get_assembly(assembly).species, gene_reference)
        checked = links_mod.check_endpoints(
            graph, link_table, skip_missing=skip_missing, resolver=resolver
        )
        echo_names(checked.names)
        counts = links_mod.write_links(graph, checked.links, prov, assembly=assembly, atomic=True)
    click.echo(
        f"{method}: {counts.relationships_created:,} links created from "
        f"{len(checked.links):,} rows; {checked.zero_scores:,} zero scores dropped, "
        f"{checked.missing_peaks:,}/{checked.missing_genes:,} rows with a missing "
        "peak/gene skipped"
    )


@click.command("liftover")
@click.argument("bed")
@ASSEMBLY
@click.option("--chain", "chain_arg", required=True, help="UCSC .over.chain(.gz) or source name.")
@click.option("--target", help="Peaks of the target assembly (path or source) for consensus.")
@click.option("--target-assembly", type=click.Choice(sorted(peaks_mod.ASSEMBLIES)))
@click.option(
    "--tolerance",
    default=lift_mod.DEFAULT_TOLERANCE,
    show_default=True,
    type=float,
    help="Allowed relative change of peak length.",
)
@click.option(
    "--min-mapped",
    default=lift_mod.DEFAULT_MIN_MAPPED,
    show_default=True,
    type=float,
    help="Fail when fewer peaks map (wrong chain).",
)
@click.option(
    "--min-overlap",
    default=lift_mod.DEFAULT_MIN_OVERLAP,
    show_default=True,
    type=float,
    help="Reciprocal overlap for consensus peaks.",
)
@click.option("--unknown-contigs", type=click.Choice(["error", "skip"]), default="error")
@click.option(
    "--unplaced",
    type=click.Choice(lift_mod.UNPLACED),
    default="skip",
    show_default=True,
    help="Peaks landing on unplaced/alt contigs (chrUn_…, _random, _alt, _fix): counted and "
    "left out, or kept.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write the lifted peaks as BED.")
@click.option("--write", is_flag=True, help="Write LIFTS_TO + conserved flags to the graph.")
def liftover(
    bed: str,
    assembly: str,
    chain_arg: str,
    target: str | None,
    target_assembly: str | None,
    tolerance: float,
    min_mapped: float,
    min_overlap: float,
    unknown_contigs: str,
    unplaced: str,
    out: str | None,
    write: bool,
) -> None:
    """Lift peaks through a chain; with --target, find reciprocal-overlap consensus peaks.

    The chain's assemblies (file name, header sizes) must be -a and --target-assembly.
    """
    if target and not target_assembly:
        raise click.UsageError("--target needs --target-assembly")
    if write and not target:
        raise click.UsageError("--write needs --target (consensus pairs are what is written)")
    peak_set = peaks_mod.read_peaks(
        sources.resolve(bed).path, assembly, unknown_contigs=unknown_contigs
    )
    chain_input = sources.resolve(chain_arg)
    chain_path, prov = chain_input.path, chain_input.provenance()
    chain = lift_mod.load_chain(chain_path)
    lift = lift_mod.lift_peaks(
        peak_set, chain, tolerance=tolerance, min_mapped=min_mapped, unplaced=unplaced,
        target_assembly=target_assembly,
    )  # fmt: skip
    click.echo(lift.summary())
    if out:
        click.echo(f"lifted peaks written to {lift_mod.write_lifted_bed(lift, out)}")
    if not target:
        return
    target_set = peaks_mod.read_peaks(
        sources.resolve(target).path, target_assembly, unknown_contigs=unknown_contigs
    )
    pairs = lift_mod.consensus(lift, target_set, min_overlap=min_overlap)
    click.echo(f"{len(pairs):,} consensus pairs (reciprocal overlap >= {min_overlap:.0%})")
    if write:
        with open_graph() as graph:
            counts = lift_mod.write_consensus(graph, pairs, chain, prov)
        click.echo(f"LIFTS_TO: {counts.relationships_created:,} created")


@click.group()
def guidance() -> None:
    """GLUE guidance graphs and PyG HeteroData exports."""


@guidance.command("export")
@ASSEMBLY
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--method", "methods", multiple=True, help="Link methods to include (default all).")
@click.option(
    "--features",
    type=click.Path(exists=True, dir_okay=False),
    help="File of feature names (one per line) to restrict the nodes to.",
)
@click.option(
    "--peak-names",
    type=click.Choice(sorted(guidance_mod.PEAK_NAME_FORMATS)),
    default="colon",
    show_default=True,
)
@click.option("--graphml/--no-graphml", default=True, show_default=True)
@unknown_genes_option("error", "such features get no node")
@GENE_REFERENCE
def guidance_export(
    assembly: str,
    out_dir: str,
    methods: tuple[str, ...],
    features: str | None,
    peak_names: str,
    graphml: bool,
    unknown_genes: str,
    gene_reference: str,
) -> None:
    """Write guidance.pt (HeteroData + id map) and a validated GLUE guidance.graphml.gz.

    Reads the graph in pages and writes the GraphML in chunks (bounded memory). With
    --features, gene nodes are named as the features name them (renamed genes included).
    """
    names = read_words(features) if features else None
    species = peaks_mod.get_assembly(assembly).species
    with open_graph() as graph:
        resolver = load_resolver(graph, species, gene_reference) if names else None
        tables = guidance_mod.fetch_guidance(
            graph, assembly, methods=methods or None, features=names, peak_names=peak_names,
            resolver=resolver, unknown_genes=unknown_genes, progress=True,
        )  # fmt: skip
    echo_names(tables.names)
    export = guidance_mod.to_heterodata(tables)
    pt = export.save(Path(out_dir) / "guidance.pt")
    click.echo(f"{pt}: {export.describe()}")
    if tables.missing_features:
        click.echo(
            f"{len(tables.missing_features):,} features not in the graph, e.g. "
            f"{', '.join(tables.missing_features[:5])}"
        )
    if graphml:
        written = guidance_mod.write_graphml(
            tables, Path(out_dir) / "guidance.graphml.gz", progress=True
        )
        click.echo(f"{written.path}: {written.nodes:,} nodes, {written.edges:,} edges")


@guidance.command("validate")
@click.argument("graphml", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--features",
    type=click.Path(exists=True, dir_okay=False),
    help="File of feature names that must all be nodes.",
)
def guidance_validate(graphml: str, features: str | None) -> None:
    """Check a GraphML guidance graph against GLUE's rules; list every violation."""
    names = read_words(features) if features else None
    g = guidance_mod.read_graphml(graphml)
    guidance_mod.check_guidance(g, names, path=graphml)
    click.echo(f"valid: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges")
