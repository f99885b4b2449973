"""``priorgraph build``: a whole database rebuilt offline from a plan, with Neo4j's batch importer.

A build plan is a TOML file naming the inputs of ingest commands; relative paths are relative
to the plan, and a registered source name (``priorgraph sources``) works wherever a file does::

    [[go]]                      # as `priorgraph ingest go`
    obo = "go-basic.obo"
    annotations = "goa_human.gaf.gz"
    kind = "gaf"                # gaf | table | gears-pickle
    # source, version, species, propagate, on_error, unknown_genes: as the command's options

    [[go_graph]]                # as `priorgraph go-graph build NAME`, over the plan's annotations
    name = "gears"
    # k, threshold, source, include_inferred, genes (a gene list file)

    [[genes]]                   # as `priorgraph peaks genes`: gene loci of an assembly
    annotation = "hg38_genes.bed"
    assembly = "hg38"           # format, tss: as the command's options

    [[peaks]]                   # as `priorgraph peaks load`
    bed = "peaks.bed"
    assembly = "hg38"           # unknown_contigs, strict_names, format

    [[links]]                   # as `priorgraph peaks links`, over the plan's peaks and loci
    assembly = "hg38"           # window, region, promoter_len, conserved_boost

Every step runs the ingest job's own reading, checking and row code with a
:class:`~priorgraph.kg.bulk.BulkWriter` in place of the online writer (steps in the order
above, entries of a step in plan order), so a build gives the graph the same commands give
online: the same nodes, relationships, properties, provenance, ``(:Source)`` records and set
pointers. :func:`build` then writes the importer's CSV files, imports them into a new store,
checks it and swaps it in for the local server (:mod:`priorgraph.kg.bulk_import`).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import tomllib

from priorgraph.core.errors import PlanFileError, UsageError
from priorgraph.ingest import genes as genes_ingest
from priorgraph.ingest import go as go_ingest
from priorgraph.ingest import links as links_ingest
from priorgraph.ingest import peaks as peaks_ingest
from priorgraph.ingest import sources
from priorgraph.ingest.gene_resolution import GeneReference, GeneResolver
from priorgraph.ingest.go_graph import GOGraphSpec, go_graph_from_terms, read_gene_list
from priorgraph.kg import cypher, ids
from priorgraph.kg.bulk import BulkFiles, BulkGraph, BulkWriter
from priorgraph.kg.bulk_import import Expected, admin_command, import_store, swap_store
from priorgraph.kg.server import LocalServer
from priorgraph.kg.writer import Provenance

logger = logging.getLogger(__name__)
ResolverFactory = Callable[[str], GeneResolver]  # species -> resolver (reference tables)


STEP_KEYS: dict[str, set[str]] = {
    "go": {"obo", "annotations", "kind", "source", "version", "ontology_source", "species",
           "propagate", "on_error", "unknown_genes"},
    "go_graph": {"name", "k", "threshold", "source", "include_inferred", "genes", "species"},
    "genes": {"annotation", "assembly", "format", "tss"},
    "peaks": {"bed", "assembly", "unknown_contigs", "strict_names", "format"},
    "links": {"assembly", "window", "region", "promoter_len", "conserved_boost"},
}  # fmt: skip
REQUIRED_KEYS = {"genes": {"annotation", "assembly"}, "peaks": {"bed", "assembly"},
                 "links": {"assembly"}}  # fmt: skip
FILE_KEYS = {"obo", "annotations", "genes", "annotation", "tss", "bed"}
# Steps whose provenance is their input file's, as on the command line (name and version of a
# registered source, else ``file:<name>`` and its sha256 prefix).
PROVENANCE_OF = {"genes": "annotation", "peaks": "bed"}


@dataclass
class BuildPlan:
    """The steps of a plan (``{step: [entries]}``), paths resolved, and where it was read."""

    path: Path
    steps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: str | Path) -> BuildPlan:
        """Read and check a plan: known steps and keys, files that exist (or registered
        sources); every problem is a :class:`PlanFileError` naming the plan."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise PlanFileError(path, "no such file") from err
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise PlanFileError(path, f"not a TOML file: {err}") from err
        plan = cls(path)
        for step, entries in data.items():
            if step not in STEP_KEYS:
                raise PlanFileError(path, f"unknown step [[{step}]]; steps: {sorted(STEP_KEYS)}")
            if not isinstance(entries, list):
                raise PlanFileError(path, f"write [[{step}]] (a list of entries), not [{step}]")
            for n, entry in enumerate(entries, 1):
                unknown = sorted(set(entry) - STEP_KEYS[step])
                if unknown:
                    raise PlanFileError(
                        path, f"[[{step}]] #{n}: unknown key(s) {unknown}; "
                        f"known: {sorted(STEP_KEYS[step])}"
                    )  # fmt: skip
                missing = sorted(REQUIRED_KEYS.get(step, set()) - set(entry))
                if missing:
                    raise PlanFileError(path, f"[[{step}]] #{n}: missing key(s) {missing}")
                plan.steps.setdefault(step, []).append(plan._entry(step, entry))
        if not plan.steps:
            raise PlanFileError(path, "the plan names no step")
        return plan

    def _entry(self, step: str, entry: Mapping[str, Any]) -> dict[str, Any]:
        """Files resolved; a registered source names the data as on the command line
        (``ingest go --obo/--table NAME``: the source's name and version)."""
        inputs = {k: self._input(v) for k, v in entry.items() if k in FILE_KEYS}
        out = {**entry, **{k: str(given.path) for k, given in inputs.items()}}
        if step in PROVENANCE_OF:
            out["provenance"] = inputs[PROVENANCE_OF[step]].provenance()
        if step == "go":
            registered = {k: sources.REGISTRY[entry[k]] for k in ("obo", "annotations")
                          if entry.get(k) in sources.REGISTRY}  # fmt: skip
            if "obo" in registered:
                out.setdefault("ontology_source", registered["obo"].name)
            if "annotations" in registered:
                out.setdefault("source", registered["annotations"].name)
                out.setdefault("version", registered["annotations"].version)
        return out

    def _input(self, value: str) -> sources.LocalInput:
        """A path relative to the plan, or a registered source's file."""
        candidate = self.path.parent / value
        if candidate.exists():
            return sources.LocalInput(candidate)
        if value in sources.REGISTRY:
            return sources.resolve(value, progress=False)
        raise PlanFileError(self.path, f"{value}: no such file (relative to the plan) or source")


@dataclass
class BuildReport:
    """What a build did: per step the ingest reports, the files, the import, the swap."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    command: str | None = None
    files: list[str] = field(default_factory=list)

    @property
    def relationships(self) -> int:
        return sum(self.types.values())


def run_plan(
    plan: BuildPlan,
    *,
    resolver: ResolverFactory | None = None,
    progress: bool = False,
) -> tuple[BulkGraph, BuildReport]:
    """Run every step of ``plan`` into a new :class:`BulkGraph` (nothing touches a database).

    ``resolver(species)``: the gene reference of GO annotations (None: names as given); the
    genes the build has written so far are added to it, as the online path adds the graph's.
    """
    bulk = BulkGraph()
    report = BuildReport()
    for entry in plan.steps.get("go", []):
        report.steps.append(_go_step(bulk, entry, resolver, progress))
    for entry in plan.steps.get("go_graph", []):
        report.steps.append(_go_graph_step(bulk, entry, progress))
    for entry in plan.steps.get("genes", []):
        report.steps.append(_genes_step(bulk, entry, resolver))
    for entry in plan.steps.get("peaks", []):
        report.steps.append(_peaks_step(bulk, entry))
    for entry in plan.steps.get("links", []):
        report.steps.append(_links_step(bulk, entry))
    report.labels, report.types = bulk.counts()
    return bulk, report


def _go_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    entry = dict(entry)
    species = entry.pop("species", ids.DEFAULT_SPECIES)
    genes = None
    if resolver is not None and entry.get("annotations"):
        genes = with_built_genes(bulk, resolver(species))
    writer = BulkWriter(bulk, Provenance("go.obo", "unknown"))
    found = go_ingest.ingest_go(
        None, species=species, genes=genes, progress=progress, writer=writer, **entry
    )
    return {"step": "go", **found.as_dict()}


def _go_graph_step(bulk: BulkGraph, entry: Mapping[str, Any], progress: bool) -> dict[str, Any]:
    entry = dict(entry)
    genes_file = entry.pop("genes", None)
    species = entry.pop("species", ids.DEFAULT_SPECIES)
    spec = GOGraphSpec(**entry)
    genes = read_gene_list(genes_file, species) if genes_file else None
    terms, versions = gene_terms(
        bulk, genes, source=spec.source, include_inferred=spec.include_inferred
    )
    writer = BulkWriter(bulk, Provenance("go.graph", "unknown"))
    record = go_graph_from_terms(
        None, spec, terms, versions, genes, progress=progress, writer=writer
    )
    return {"step": "go_graph", **record}


def with_built_genes(bulk: BulkGraph, resolver: GeneResolver) -> GeneResolver:
    """``resolver`` with the genes of its species the build has written so far added: what
    :meth:`GeneReference.add_graph` adds from a database."""
    known = bulk.nodes.get("Gene", {}).values()
    species = resolver.species
    resolver.reference.add_genes(
        ((g.get("symbol"), g.get("ensembl")) for g in known if g.get("species") == species),
        "the build",
    )
    return resolver


def _genes_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None
) -> dict[str, Any]:
    """``peaks genes``: an assembly's loci replace the ones an earlier entry wrote."""
    genes = genes_ingest.read_genes(
        entry["annotation"], entry["assembly"], fmt=entry.get("format", "auto")
    )
    if "tss" in entry:
        genes_ingest.apply_tss_bed(genes, entry["tss"])
    base = resolver(genes.species) if resolver else GeneResolver(GeneReference(genes.species))
    genes = genes_ingest.resolve_genes(genes, with_built_genes(bulk, base))
    writer = BulkWriter(bulk, entry["provenance"], statements=GENE_STATEMENTS)
    counts = genes_ingest.write_genes(None, genes, entry["provenance"], writer=writer)
    return {"step": "genes", "assembly": genes.assembly.name, "summary": genes.report.summary(),
            **counts.as_dict()}  # fmt: skip


def _drop_gene_coordinates(bulk: BulkGraph, params: Mapping[str, Any]) -> None:
    """``genes_drop_gene_coordinates``: no coordinates on the species' Gene nodes."""
    for gene in bulk.nodes.get("Gene", {}).values():
        if gene.get("species") == params["species"]:
            for name in ("assembly", "chrom", "start", "end", "strand", "tss"):
                gene.pop(name, None)


def _delete_loci(bulk: BulkGraph, params: Mapping[str, Any]) -> None:
    """``genes_delete_loci``: the assembly's GeneLocus nodes detach-deleted."""
    loci = bulk.nodes.get("GeneLocus", {})
    bulk.delete_nodes(
        "GeneLocus", [k for k, v in loci.items() if v["assembly"] == params["assembly"]]
    )


GENE_STATEMENTS = {
    cypher.load("genes_drop_gene_coordinates"): _drop_gene_coordinates,
    cypher.load("genes_delete_loci"): _delete_loci,
}


def _peaks_step(bulk: BulkGraph, entry: Mapping[str, Any]) -> dict[str, Any]:
    """``peaks load``."""
    peaks = peaks_ingest.read_peaks(
        entry["bed"], entry["assembly"], normalise=not entry.get("strict_names", False),
        unknown_contigs=entry.get("unknown_contigs", "error"), fmt=entry.get("format", "auto"),
    )  # fmt: skip
    writer = BulkWriter(bulk, entry["provenance"])
    counts = peaks_ingest.write_peaks(None, peaks, entry["provenance"], writer=writer)
    return {"step": "peaks", "assembly": peaks.assembly.name, "summary": peaks.report.summary(),
            **counts.as_dict()}  # fmt: skip


def _links_step(bulk: BulkGraph, entry: Mapping[str, Any]) -> dict[str, Any]:
    """``peaks links``: window links between the peaks and gene loci the plan loaded."""
    options = {"window": links_ingest.DEFAULT_WINDOW, "region": "combined", **entry}
    assembly = options.pop("assembly")
    peaks, genes = assembly_features(bulk, assembly)
    if peaks.empty or genes.empty:
        raise UsageError(
            f"[[links]] on {assembly}: the plan loads {len(peaks):,} peaks and {len(genes):,} "
            "gene loci there; add [[peaks]] and [[genes]] entries for it"
        )
    links = links_ingest.window_links(peaks, genes, **options)
    method = links_ingest.window_method(options["region"], options["window"])
    provenance = links_ingest.window_provenance(method, assembly)
    writer = BulkWriter(bulk, provenance)
    counts = links_ingest.write_links(None, links, provenance, assembly=assembly, writer=writer)
    return {"step": "links", "assembly": assembly, "links": len(links), **counts.as_dict()}


def assembly_features(bulk: BulkGraph, assembly: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The peaks of ``assembly`` and the genes placed on it, from the build, in the order and
    columns :func:`~priorgraph.ingest.links.graph_features` reads them from a database
    (``peaks_coordinates``, ``peaks_gene_coordinates``; ties in a gene's start by gene id)."""
    peaks = pd.DataFrame(
        sorted(((p["id"], p["chrom"], p["start"], p["end"], p.get("conserved", False))
                for p in bulk.nodes.get("Peak", {}).values() if p.get("assembly") == assembly),
               key=lambda row: row[1:4]),
        columns=["id", "chrom", "start", "end", "conserved"],
    )  # fmt: skip
    loci = bulk.nodes.get("GeneLocus", {})
    genes_by_id = bulk.nodes.get("Gene", {})
    rows = []
    for (rel_type, start, end), group in bulk.relationships.items():
        if (rel_type, start, end) != ("LOCUS_OF", "GeneLocus", "Gene"):
            continue
        for locus_id, gene_id, _, _ in group.rows():
            locus = loci[locus_id]
            if locus.get("assembly") == assembly:
                rows.append((locus["chrom"], locus["start"], gene_id,
                             genes_by_id[gene_id].get("symbol"), locus["end"], locus["strand"],
                             locus["tss"]))  # fmt: skip
    rows.sort()
    genes = pd.DataFrame(
        [(g, sym, c, s, e, strand, tss) for c, s, g, sym, e, strand, tss in rows],
        columns=["id", "symbol", "chrom", "start", "end", "strand", "tss"],
    )
    return peaks, genes


def gene_terms(
    bulk: BulkGraph,
    genes: list[str] | None,
    *,
    source: str | None,
    include_inferred: bool,
) -> tuple[dict[str, list[str]], list[str]]:
    """``gene id → GO ids`` and the annotation versions, from the build's ``ANNOTATED_WITH``
    relationships: what ``go_gene_terms`` reads from a database."""
    wanted = set(genes) if genes is not None else None
    terms: dict[str, dict[str, None]] = defaultdict(dict)
    versions: set[str] = set()
    for (rel_type, _, _), group in bulk.relationships.items():
        if rel_type != "ANNOTATED_WITH":
            continue
        for gene, term, props, _ in group.rows():
            if wanted is not None and gene not in wanted:
                continue
            if source is not None and props.get("source") != source:
                continue
            if not include_inferred and props.get("inferred", False):
                continue
            terms[gene][term] = None
            versions.add(props["source_version"])
    return {g: list(t) for g, t in terms.items()}, sorted(versions)


def build(
    plan: BuildPlan,
    directory: str | Path,
    *,
    server: LocalServer | None,
    resolver: ResolverFactory | None = None,
    heap: str = "1g",
    progress: bool = False,
) -> tuple[BuildReport, BulkFiles]:
    """Run ``plan``, write the importer's files under ``directory/csv`` and, with ``server``,
    import them into a new store (``directory/store``), check it and swap it in.

    Without ``server`` (a Neo4j priorgraph does not manage) the report's ``command`` is the
    ``neo4j-admin database import`` command that loads the files there.
    """
    directory = Path(directory)
    t0 = time.perf_counter()
    bulk, report = run_plan(plan, resolver=resolver, progress=progress)
    t1 = time.perf_counter()
    files = bulk.write(directory / "csv", progress=progress)
    del bulk
    t2 = time.perf_counter()
    report.seconds = {"ingest": t1 - t0, "csv": t2 - t1}
    report.files = [*files.nodes, *files.relationships]
    if server is None:
        report.command = admin_command(files)
        return report, files
    result = import_store(files, directory / "store", heap=heap)
    t3 = time.perf_counter()
    report.seconds["import"] = t3 - t2
    report.seconds["import_tool"] = result.get("import_seconds", 0.0)
    swap_store(server, directory / "store", Expected.of(files))
    report.seconds["swap"] = time.perf_counter() - t3
    report.seconds["total"] = time.perf_counter() - t0
    return report, files
