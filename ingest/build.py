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

    [[orthologs]]               # as `priorgraph peaks orthologs`, between the plan's genes
    table = "orthologs.tsv"     # species_a, species_b

    [[peaks]]                   # as `priorgraph peaks load`
    bed = "peaks.bed"
    assembly = "hg38"           # unknown_contigs, strict_names, format

    [[liftover]]                # as `priorgraph liftover BED --target … --write`
    bed = "hg19_peaks.bed"      # both peak sets loaded by [[peaks]] entries
    assembly = "hg19"
    chain = "hg19ToHg38.over.chain.gz"
    target = "hg38_peaks.bed"
    target_assembly = "hg38"    # tolerance, min_mapped, min_overlap, unknown_contigs, unplaced

    [[links]]                   # as `priorgraph peaks links`, over the plan's peaks and loci
    assembly = "hg38"           # window, region, promoter_len, conserved_boost

    [[import_links]]            # as `priorgraph peaks import-links`
    table = "abc.tsv"
    assembly = "hg38"
    method = "abc"              # scale, skip_missing

    [[perturbseq]]              # as `priorgraph ingest perturbseq FILE --dataset NAME`
    file = "norman2019.h5ad"
    dataset = "norman2019"      # condition_col, separator, control, where (a table), gene_col,
                                # layer, species, min_cells, top_de, unknown_genes,
                                # add_unknown_genes, store

    [[split]]                   # as `priorgraph split create DATASET NAME`, of a data set the
    dataset = "norman2019"      # plan loads: the split's files, its training co-expression
    name = "simulation_1"       # kind, seed, train_gene_set_size, combo_seen2_train_frac,
                                # train_fraction, val_fraction, test, val, k, threshold, store

    [[coexpression]]            # as `priorgraph ingest coexpression FILE --dataset NAME`
    file = "atlas.h5ad"
    dataset = "atlas"           # use_raw, obs_key, obs_value (a list), n_top_genes, k,
                                # threshold, species

    [[genept]]                  # as `priorgraph ingest genept FILE`
    file = "GenePT_gene_embedding_ada_text.pickle"
    model = "text-embedding-ada-002"  # source, version, member, skip_unknown, kind, species

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

from priorgraph.core.datafiles import read_h5ad
from priorgraph.core.errors import PlanFileError, UsageError
from priorgraph.ingest import coexpression as coexpression_ingest
from priorgraph.ingest import genept as genept_ingest
from priorgraph.ingest import genes as genes_ingest
from priorgraph.ingest import go as go_ingest
from priorgraph.ingest import liftover as liftover_ingest
from priorgraph.ingest import links as links_ingest
from priorgraph.ingest import peaks as peaks_ingest
from priorgraph.ingest import perturbseq as perturbseq_ingest
from priorgraph.ingest import sources
from priorgraph.ingest import splits as splits_ingest
from priorgraph.ingest.gene_resolution import GeneReference, GeneResolver
from priorgraph.ingest.go_graph import GOGraphSpec, go_graph_from_terms, read_gene_list
from priorgraph.kg import cypher, ids
from priorgraph.kg.bulk import BulkFiles, BulkGraph, BulkWriter
from priorgraph.kg.bulk_import import Expected, admin_command, import_store, swap_store
from priorgraph.kg.server import LocalServer
from priorgraph.kg.writer import Provenance

logger = logging.getLogger(__name__)
ResolverFactory = Callable[[str], GeneResolver]  # species -> resolver (reference tables)


# The steps, in the order they run (a later step may read what an earlier one wrote).
STEP_KEYS: dict[str, set[str]] = {
    "go": {"obo", "annotations", "kind", "source", "version", "ontology_source", "species",
           "propagate", "on_error", "unknown_genes"},
    "go_graph": {"name", "k", "threshold", "source", "include_inferred", "genes", "species"},
    "genes": {"annotation", "assembly", "format", "tss"},
    "orthologs": {"table", "species_a", "species_b"},
    "peaks": {"bed", "assembly", "unknown_contigs", "strict_names", "format"},
    "liftover": {"bed", "assembly", "chain", "target", "target_assembly", "tolerance",
                 "min_mapped", "min_overlap", "unknown_contigs", "unplaced"},
    "links": {"assembly", "window", "region", "promoter_len", "conserved_boost"},
    "import_links": {"table", "assembly", "method", "scale", "skip_missing"},
    "perturbseq": {"file", "dataset", "condition_col", "separator", "control", "where",
                   "gene_col", "layer", "species", "min_cells", "top_de", "unknown_genes",
                   "add_unknown_genes", "store"},
    "split": {"dataset", "name", "kind", "seed", "train_gene_set_size", "combo_seen2_train_frac",
              "train_fraction", "val_fraction", "test", "val", "k", "threshold", "store"},
    "coexpression": {"file", "dataset", "use_raw", "obs_key", "obs_value", "n_top_genes", "k",
                     "threshold", "species"},
    "genept": {"file", "model", "source", "version", "member", "skip_unknown", "kind",
               "species"},
}  # fmt: skip
REQUIRED_KEYS = {"genes": {"annotation", "assembly"}, "orthologs": {"table"},
                 "peaks": {"bed", "assembly"},
                 "liftover": {"bed", "assembly", "chain", "target", "target_assembly"},
                 "links": {"assembly"}, "import_links": {"table", "assembly", "method"},
                 "perturbseq": {"file", "dataset"}, "split": {"dataset", "name"},
                 "coexpression": {"file", "dataset"}, "genept": {"file"}}  # fmt: skip
FILE_KEYS = {"obo", "annotations", "genes", "annotation", "tss", "bed", "table", "chain",
             "target", "file"}  # fmt: skip
# Steps whose provenance is their input file's, as on the command line (name and version of a
# registered source, else ``file:<name>`` and its sha256 prefix).
PROVENANCE_OF = {"genes": "annotation", "orthologs": "table", "peaks": "bed",
                 "liftover": "chain", "import_links": "table", "genept": "file"}  # fmt: skip


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
        if "store" in entry:  # a directory the step writes (a data set's files)
            out["store"] = str(self.path.parent / entry["store"])
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
    for step in STEP_KEYS:
        for n, entry in enumerate(plan.steps.get(step, []), 1):
            logger.info("build: [[%s]] %s", step, entry.get("provenance") or "")
            try:
                found = STEPS[step](bulk, entry, resolver, progress)
            except UsageError as err:  # a value of the plan: say which entry (files name theirs)
                raise PlanFileError(plan.path, f"[[{step}]] #{n}: {err}") from err
            report.steps.append({"step": step, **found})
    report.labels, report.types = bulk.counts()
    return bulk, report


def _resolver(bulk: BulkGraph, resolver: ResolverFactory | None, species: str) -> GeneResolver:
    """The plan's gene reference for ``species`` (names as given without one), with the genes
    the build has written so far, as the online commands add the graph's."""
    base = resolver(species) if resolver else GeneResolver(GeneReference(species))
    return with_built_genes(bulk, base)


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
    return found.as_dict()


def _go_graph_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    entry = dict(entry)
    genes_file = entry.pop("genes", None)
    species = entry.pop("species", ids.DEFAULT_SPECIES)
    spec = GOGraphSpec(**entry)
    genes = read_gene_list(genes_file, species) if genes_file else None
    terms, versions = gene_terms(
        bulk, genes, source=spec.source, include_inferred=spec.include_inferred
    )
    writer = BulkWriter(bulk, Provenance("go.graph", "unknown"))
    return go_graph_from_terms(None, spec, terms, versions, genes, progress=progress, writer=writer)


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
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    """``peaks genes``: an assembly's loci replace the ones an earlier entry wrote."""
    genes = genes_ingest.read_genes(
        entry["annotation"], entry["assembly"], fmt=entry.get("format", "auto")
    )
    if "tss" in entry:
        genes_ingest.apply_tss_bed(genes, entry["tss"])
    genes = genes_ingest.resolve_genes(genes, _resolver(bulk, resolver, genes.species))
    writer = BulkWriter(bulk, entry["provenance"], statements=GENE_STATEMENTS)
    counts = genes_ingest.write_genes(None, genes, entry["provenance"], writer=writer)
    return {"assembly": genes.assembly.name, "summary": genes.report.summary(),
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


def _orthologs_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    """``peaks orthologs``: pairs between genes the plan's earlier steps wrote."""
    species = (entry.get("species_a", "human"), entry.get("species_b", "macaque"))
    rows = genes_ingest.read_orthologs(entry["table"], *species)
    resolvers = {s: _resolver(bulk, resolver, s) for s in species}
    pairs = genes_ingest.check_orthologs(bulk, rows, resolvers=resolvers)
    writer = BulkWriter(bulk, entry["provenance"])
    counts = genes_ingest.write_orthologs(None, pairs, entry["provenance"], writer=writer)
    return {"pairs": len(pairs.pairs), "missing": len(pairs.missing), **counts.as_dict()}


def _peaks_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    """``peaks load``."""
    peaks = peaks_ingest.read_peaks(
        entry["bed"], entry["assembly"], normalise=not entry.get("strict_names", False),
        unknown_contigs=entry.get("unknown_contigs", "error"), fmt=entry.get("format", "auto"),
    )  # fmt: skip
    writer = BulkWriter(bulk, entry["provenance"])
    counts = peaks_ingest.write_peaks(None, peaks, entry["provenance"], writer=writer)
    return {"assembly": peaks.assembly.name, "summary": peaks.report.summary(),
            **counts.as_dict()}  # fmt: skip


def _liftover_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    """``liftover BED --target TARGET --write``: consensus pairs between two peak sets the
    plan loaded, and their ``conserved`` flags (before ``[[links]]``, which may boost them)."""
    contigs = entry.get("unknown_contigs", "error")
    source = peaks_ingest.read_peaks(entry["bed"], entry["assembly"], unknown_contigs=contigs)
    chain = liftover_ingest.load_chain(entry["chain"])
    lift = liftover_ingest.lift_peaks(
        source, chain, target_assembly=entry["target_assembly"], progress=progress,
        tolerance=entry.get("tolerance", liftover_ingest.DEFAULT_TOLERANCE),
        min_mapped=entry.get("min_mapped", liftover_ingest.DEFAULT_MIN_MAPPED),
        unplaced=entry.get("unplaced", "skip"),
    )  # fmt: skip
    target = peaks_ingest.read_peaks(
        entry["target"], entry["target_assembly"], unknown_contigs=contigs
    )
    pairs = liftover_ingest.consensus(
        lift, target, min_overlap=entry.get("min_overlap", liftover_ingest.DEFAULT_MIN_OVERLAP)
    )
    writer = BulkWriter(bulk, entry["provenance"], statements=LIFTOVER_STATEMENTS)
    counts = liftover_ingest.write_consensus(bulk, pairs, chain, entry["provenance"], writer=writer)
    return {"chain": chain.name, "lift": dict(lift.counts), "pairs": len(pairs),
            **counts.as_dict()}  # fmt: skip


def _mark_conserved(bulk: BulkGraph, params: Mapping[str, Any]) -> None:
    """``peaks_mark_conserved``: both ends of the chain's ``LIFTS_TO`` flagged conserved."""
    peaks = bulk.nodes.get("Peak", {})
    for start, end, props, _ in bulk.group("LIFTS_TO", ("Peak", "id"), ("Peak", "id")).rows():
        if props.get("chain") == params["chain"]:
            peaks[start]["conserved"] = peaks[end]["conserved"] = True


LIFTOVER_STATEMENTS = {cypher.load("peaks_mark_conserved"): _mark_conserved}


def _links_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    """``peaks links``: window links between the peaks and gene loci the plan loaded."""
    options = {"window": links_ingest.DEFAULT_WINDOW, "region": "combined", **entry}
    assembly = options.pop("assembly")
    peaks, genes = assembly_features(bulk, assembly)
    if peaks.empty or genes.empty:
        raise UsageError(
            f"on {assembly} the plan loads {len(peaks):,} peaks and {len(genes):,} "
            "gene loci there; add [[peaks]] and [[genes]] entries for it"
        )
    links = links_ingest.window_links(peaks, genes, **options)
    method = links_ingest.window_method(options["region"], options["window"])
    provenance = links_ingest.window_provenance(method, assembly)
    writer = BulkWriter(bulk, provenance)
    counts = links_ingest.write_links(None, links, provenance, assembly=assembly, writer=writer)
    return {"assembly": assembly, "links": len(links), **counts.as_dict()}


def _import_links_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    """``peaks import-links``: an external peak–gene table, checked against the plan's peaks
    and genes."""
    assembly = entry["assembly"]
    table = links_ingest.read_link_table(
        entry["table"], assembly, entry["method"], scale=entry.get("scale", False)
    )
    species = peaks_ingest.get_assembly(assembly).species
    checked = links_ingest.check_endpoints(
        bulk, table, skip_missing=entry.get("skip_missing", False),
        resolver=_resolver(bulk, resolver, species),
    )  # fmt: skip
    writer = BulkWriter(bulk, entry["provenance"])
    counts = links_ingest.write_links(
        None, checked.links, entry["provenance"], assembly=assembly, atomic=True, writer=writer
    )
    return {"assembly": assembly, "method": entry["method"], "links": len(checked.links),
            "missing_peaks": checked.missing_peaks, "missing_genes": checked.missing_genes,
            **counts.as_dict()}  # fmt: skip


def _perturbseq_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    """``ingest perturbseq``: the data set's files are saved in the store as online; its
    nodes and relationships go into the build (genes the plan lacks are added)."""
    options = dict(entry)
    path = options.pop("file")
    store = options.pop("store", None)
    unknown_genes = options.pop("unknown_genes", "warn")
    add_unknown_genes = options.pop("add_unknown_genes", False)
    if "top_de" in options:
        options["n_top_de"] = options.pop("top_de")
    where = options.pop("where", {})
    if not isinstance(where, Mapping):
        raise UsageError("[[perturbseq]] where: a table of obs column = value")
    config = perturbseq_ingest.PerturbSeqConfig(
        **options, where=tuple((str(k), str(v)) for k, v in where.items())
    )
    writer = BulkWriter(bulk, Provenance(f"perturbseq.{config.dataset}", "unknown"))
    report, counts = perturbseq_ingest.ingest(
        bulk, path, config, store=store, genes=_resolver(bulk, resolver, config.species),
        unknown_genes=unknown_genes, add_unknown_genes=add_unknown_genes, progress=progress,
        writer=writer,
    )  # fmt: skip
    return {"dataset": config.dataset, "summary": report.lines()[0],
            **{part: c.as_dict() for part, c in counts.items()}}  # fmt: skip


def _split_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    """``split create``: a split of a data set the plan (or an earlier load) saved in the store,
    saved as online, and the co-expression graph of its training cells."""
    options = dict(entry)
    store = options.pop("store", None)
    record = perturbseq_ingest.load_dataset(options.pop("dataset"), store)
    name, kind = options.pop("name"), options.pop("kind", "simulation")
    seed, k = options.pop("seed", 1), options.pop("k", 20)
    threshold = options.pop("threshold", 0.4)
    test, val = tuple(options.pop("test", ())), tuple(options.pop("val", ()))
    if (test or val) and kind != "custom":
        raise UsageError(f"[[split]] {name}: test/val name the conditions of a custom split")
    made = splits_ingest.make_split(kind, name, record, seed, test=test, val=val, **options)
    made.save(splits_ingest.splits_dir(record.config.dataset, store))
    edges = splits_ingest.build_coexpression(record, made, k=k, threshold=threshold)
    writer = BulkWriter(bulk, Provenance(f"coexpression.{made.dataset}", made.name))
    counts = splits_ingest.write_coexpression(None, record, made, edges, writer=writer)
    return {"dataset": made.dataset, "split": name, "train": len(made.train),
            "val": len(made.val), "test": len(made.test), **counts.as_dict()}  # fmt: skip


def _coexpression_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    """``ingest coexpression``: a whole data set's co-expression graph (genes the plan lacks
    are added)."""
    path, species = entry["file"], entry.get("species", ids.DEFAULT_SPECIES)
    adata = read_h5ad(path)
    cells = coexpression_ingest.select_cells(
        adata, entry.get("obs_key"), [str(v) for v in entry.get("obs_value", [])]
    )
    coexpression_ingest.resolve_var_names(adata, _resolver(bulk, resolver, species), what=path)
    edges = coexpression_ingest.dataset_edges(
        adata, use_raw=entry.get("use_raw", False), cells=cells,
        n_top_genes=entry.get("n_top_genes", 2000), k=entry.get("k", 20),
        threshold=entry.get("threshold", 0.4),
    )  # fmt: skip
    writer = BulkWriter(bulk, Provenance(f"coexpression.{entry['dataset']}", "unknown"))
    counts = coexpression_ingest.write_dataset_coexpression(
        bulk, entry["dataset"], edges, species=species, version=Path(path).name, writer=writer
    )
    return {"dataset": entry["dataset"], "edges": len(edges),
            **{part: c.as_dict() for part, c in counts.items()}}  # fmt: skip


def _genept_step(
    bulk: BulkGraph, entry: Mapping[str, Any], resolver: ResolverFactory | None, progress: bool
) -> dict[str, Any]:
    """``ingest genept``: gene embeddings of one kind (the first and only load of the kind in
    the new database) and, on the imported store, their vector index."""
    species = entry.get("species", ids.DEFAULT_SPECIES)
    table = genept_ingest.load_file(
        entry["file"], None, skip_unknown=entry.get("skip_unknown", False),
        model=entry.get("model"), member=entry.get("member"),
        genes=_resolver(bulk, resolver, species),
    )  # fmt: skip
    default = entry["provenance"]
    provenance = Provenance(entry.get("source", default.source),
                            entry.get("version", default.version))  # fmt: skip
    writer = BulkWriter(bulk, provenance)
    result = genept_ingest.store_bulk(
        writer, table, provenance, kind=entry.get("kind", "genept"), species=species
    )
    return result.as_dict()


Step = Callable[[BulkGraph, Mapping[str, Any], ResolverFactory | None, bool], dict[str, Any]]
STEPS: dict[str, Step] = {
    "go": _go_step, "go_graph": _go_graph_step, "genes": _genes_step,
    "orthologs": _orthologs_step, "peaks": _peaks_step, "liftover": _liftover_step,
    "links": _links_step, "import_links": _import_links_step, "perturbseq": _perturbseq_step,
    "split": _split_step, "coexpression": _coexpression_step, "genept": _genept_step,
}  # fmt: skip


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
