"""Gene annotations of one assembly → ``(:GeneLocus)-[:LOCUS_OF]->(:Gene)``; orthologs as
``(:Gene)-[:ORTHOLOG_OF]->(:Gene)``.

Three inputs give the same table (``symbol, ensembl, chrom, start, end, strand, tss, biotype``,
0-based half-open, UCSC chromosome names):

* a gene BED (``chrom start end name [ensembl|score] strand [biotype]``, as Ensembl-derived BEDs);
* an Ensembl/annotables gene table (``ensgene symbol chr start end strand biotype``; 1-based
  inclusive starts, strand ±1);
* a GTF (``gene`` features; ``gene_name``, ``gene_id``, ``gene_biotype``/``gene_type``; a row
  without ``gene_id`` is an error naming its line).

The TSS is strand-specific: ``tss = start`` on ``+``, ``tss = end - 1`` on ``-`` (a TSS BED can
override it). Genes on contigs outside the assembly's chromosomes (patches, scaffolds) and rows
without a symbol are skipped and counted; when a symbol names several genes, one is kept:
protein-coding first, then the lowest Ensembl id, and the others are counted.

**Genes and loci.** A gene is one ``(:Gene {id: 'human:TP53', symbol, species, ensembl,
biotype})`` whatever the assembly; its coordinates on each assembly are a
``(:GeneLocus {id: 'hg38:ENSG00000141510', assembly, chrom, start, end, strand, tss})`` linked
to it, so hg19, hg38 and macaque annotations live side by side. With a
:class:`~priorgraph.ingest.gene_resolution.GeneResolver`, each row is matched to the gene it
names — by its Ensembl id first, then by its symbol (previous symbols and aliases included) —
so an hg19 annotation that still says ``MARCH8`` places ``human:MARCHF8``; a row the reference
does not know defines a new gene under its own symbol. Loading an annotation of an assembly
replaces that assembly's loci (and removes coordinates that an older version kept on the Gene
nodes themselves).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from priorgraph.core.errors import GeneFileError, UsageError
from priorgraph.core.utils import open_text
from priorgraph.ingest.gene_resolution import (
    GeneNames,
    GeneResolver,
    describe_names,
    ensembl_gene_id,
)
from priorgraph.ingest.peaks import Assembly, get_assembly
from priorgraph.kg import cypher, ids
from priorgraph.kg.bulk import BulkGraph, BulkWriter
from priorgraph.kg.connection import Graph
from priorgraph.kg.existing import existing_ids
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts

COLUMNS = ["symbol", "ensembl", "chrom", "start", "end", "strand", "biotype"]
_GTF_ATTR = re.compile(r'(\S+) "([^"]*)"')


@dataclass
class GeneReport:
    path: str
    rows: int = 0
    genes: int = 0
    no_symbol: int = 0
    duplicate_symbols: int = 0
    skipped_contigs: Counter[str] = field(default_factory=Counter)
    names: GeneNames | None = None  # set by resolve_genes

    def summary(self) -> str:
        skipped = sum(self.skipped_contigs.values())
        text = (
            f"{self.genes:,} genes from {self.rows:,} rows of {self.path}; skipped: "
            f"{self.no_symbol:,} without symbol, {self.duplicate_symbols:,} duplicate symbols, "
            f"{skipped:,} on {len(self.skipped_contigs)} contigs outside the assembly"
        )
        if self.names is not None:
            text += "; " + describe_names({"renamed": self.names.renamed}, "names")
            if new := len(self.names.unresolved):
                text += f"; {new:,} not in the gene reference (new genes under their own symbol)"
        return text


@dataclass
class GeneSet:
    """Validated genes of one species/assembly, one row per symbol (``name``: the symbol the
    file gives, ``symbol``: the approved one after :func:`resolve_genes`)."""

    species: str
    assembly: Assembly
    df: pd.DataFrame
    report: GeneReport

    def locus_ids(self) -> list[str]:
        """``assembly:ensembl`` (``assembly:symbol`` for genes without an Ensembl id)."""
        return [
            ids.locus_id(self.assembly.name, e or s)
            for e, s in zip(self.df["ensembl"], self.df["symbol"], strict=True)
        ]

    def gene_rows(self) -> list[dict]:
        """Node rows for ``(:Gene)``: id ``species:symbol``, Ensembl id kept as ``ensembl``."""
        out = []
        for r in self.df.itertuples(index=False):
            row = {"id": ids.gene_id(r.symbol, self.species), "symbol": r.symbol,
                   "species": self.species, "biotype": r.biotype}  # fmt: skip
            if r.ensembl:
                row["ensembl"] = r.ensembl
            out.append(row)
        return out

    def locus_rows(self) -> list[dict]:
        """Node rows for ``(:GeneLocus)``: coordinates and TSS on this assembly."""
        asm = self.assembly
        return [
            {"id": locus, "assembly": asm.name, "species": self.species, "name": r.name,
             "ensembl": r.ensembl or None, "chrom": r.chrom, "start": int(r.start),
             "end": int(r.end), "strand": r.strand, "tss": int(r.tss)}
            for locus, r in zip(self.locus_ids(), self.df.itertuples(index=False), strict=True)
        ]  # fmt: skip

    def locus_of_rows(self) -> list[dict]:
        """``(:GeneLocus)-[:LOCUS_OF]->(:Gene)`` rows."""
        return [
            {"start": locus, "end": ids.gene_id(symbol, self.species)}
            for locus, symbol in zip(self.locus_ids(), self.df["symbol"], strict=True)
        ]


def _int(value: str, path: Path, lineno: int, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise GeneFileError(path, f"{what} is not an integer: {value!r}", line=lineno) from None


def _strand(value: str, path: Path, lineno: int) -> str:
    strand = {"1": "+", "-1": "-", "+": "+", "-": "-"}.get(value)
    if strand is None:
        raise GeneFileError(path, f"strand must be +, -, 1 or -1, got {value!r}", line=lineno)
    return strand


def _bed_records(path: Path) -> list[tuple]:
    records = []
    with open_text(path) as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            f = line.rstrip("\n\r").split("\t")
            if len(f) < 6:
                raise GeneFileError(path, f"{len(f)} fields, a gene BED needs 6", line=lineno)
            ensembl = f[4] if f[4].startswith("ENS") else ""
            biotype = f[6] if len(f) > 6 else ""
            start = _int(f[1], path, lineno, "start")
            records.append(
                (
                    lineno,
                    f[3],
                    ensembl,
                    f[0],
                    start,
                    _int(f[2], path, lineno, "end"),
                    _strand(f[5], path, lineno),
                    biotype,
                )
            )
    return records


def _table_records(path: Path) -> list[tuple]:
    records = []
    with open_text(path) as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        need = {"ensgene", "symbol", "chr", "start", "end", "strand"}
        if not need <= set(reader.fieldnames or ()):
            raise GeneFileError(path, f"gene table needs columns {sorted(need)}")
        for lineno, r in enumerate(reader, start=2):
            start = _int(r["start"], path, lineno, "start") - 1  # 1-based inclusive → 0-based
            records.append(
                (
                    lineno,
                    r["symbol"],
                    r["ensgene"],
                    r["chr"],
                    start,
                    _int(r["end"], path, lineno, "end"),
                    _strand(r["strand"], path, lineno),
                    r.get("biotype", ""),
                )
            )
    return records


def _gtf_records(path: Path) -> list[tuple]:
    records = []
    with open_text(path) as handle:
        for lineno, line in enumerate(handle, start=1):
            if line.startswith("#"):
                continue
            f = line.rstrip("\n\r").split("\t")
            if len(f) < 9:
                raise GeneFileError(path, f"{len(f)} fields, a GTF line needs 9", line=lineno)
            if "gene_id" not in f[8]:
                raise GeneFileError(path, f"{f[2]} row without gene_id", line=lineno)
            if f[2] != "gene":
                continue
            attrs = dict(_GTF_ATTR.findall(f[8]))
            if not attrs.get("gene_id"):
                raise GeneFileError(path, "gene row without a gene_id value", line=lineno)
            start = _int(f[3], path, lineno, "start") - 1
            biotype = attrs.get("gene_biotype", attrs.get("gene_type", ""))
            records.append(
                (
                    lineno,
                    attrs.get("gene_name", ""),
                    attrs.get("gene_id", ""),
                    f[0],
                    start,
                    _int(f[4], path, lineno, "end"),
                    _strand(f[6], path, lineno),
                    biotype,
                )
            )
    return records


READERS = {"bed": _bed_records, "table": _table_records, "gtf": _gtf_records}


def _detect(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".gtf", ".gff")):
        return "gtf"
    return "bed" if name.endswith(".bed") else "table"


def read_genes(path: str | Path, assembly: str, *, fmt: str = "auto") -> GeneSet:
    """Read genes from a BED, Ensembl table or GTF (``fmt``: bed|table|gtf|auto)."""
    path = Path(path)
    asm = get_assembly(assembly)
    fmt = _detect(path) if fmt == "auto" else fmt
    if fmt not in READERS:
        raise UsageError(f"unknown gene file format {fmt!r}; choose from {sorted(READERS)}")
    records = READERS[fmt](path)
    report = GeneReport(str(path), rows=len(records))
    kept = []
    for lineno, symbol, ensembl, raw_chrom, start, end, strand, biotype in records:
        if not 0 <= start < end:
            raise GeneFileError(path, f"need 0 <= start < end, got {start}, {end}", line=lineno)
        chrom = asm.normalise(raw_chrom)
        if chrom is None:
            report.skipped_contigs[raw_chrom] += 1
        elif not symbol:
            report.no_symbol += 1
        else:  # GENCODE's versioned ids (ENSG….14) as Ensembl's
            kept.append((symbol, ensembl_gene_id(ensembl) or ensembl, chrom, start, end, strand,
                         biotype))  # fmt: skip
    df = _one_per_symbol(pd.DataFrame.from_records(kept, columns=COLUMNS))
    report.duplicate_symbols = len(kept) - len(df)
    df = df.assign(name=df["symbol"], tss=df["start"].where(df["strand"] == "+", df["end"] - 1))
    report.genes = len(df)
    return GeneSet(asm.species, asm, df.sort_values(["chrom", "start"]).reset_index(drop=True),
                   report)  # fmt: skip


def _one_per_symbol(df: pd.DataFrame) -> pd.DataFrame:
    """One row per symbol: protein-coding first, then the lowest Ensembl id."""
    ranked = df.assign(_rank=(df["biotype"] != "protein_coding").astype(int))
    ranked = ranked.sort_values(["symbol", "_rank", "ensembl"])
    return ranked.drop_duplicates("symbol").drop(columns="_rank")


def resolve_genes(genes: GeneSet, resolver: GeneResolver) -> GeneSet:
    """Match every row to the gene it names (Ensembl id first, then the symbol; see the module
    docstring): ``symbol`` becomes the approved symbol, the file's stays in ``name``. Rows the
    reference does not know keep their symbol (they define new genes); two rows that now name
    one gene keep one (the rule of :func:`read_genes`), the other counted as a duplicate."""
    if resolver.species != genes.species:
        raise UsageError(f"a {resolver.species} gene resolver for {genes.species} genes")
    df = genes.df
    resolved = {
        name: resolver.resolve_row(name, ensembl)
        for name, ensembl in zip(df["name"], df["ensembl"], strict=True)
    }
    names = GeneNames(genes.report.path, genes.species, resolved)
    symbols = [resolved[n].symbol or n for n in df["name"]]
    kept = _one_per_symbol(df.assign(symbol=symbols))
    report = genes.report
    report.duplicate_symbols += len(df) - len(kept)
    report.genes = len(kept)
    report.names = names
    return GeneSet(genes.species, genes.assembly,
                   kept.sort_values(["chrom", "start"]).reset_index(drop=True), report)  # fmt: skip


def apply_tss_bed(genes: GeneSet, path: str | Path) -> int:
    """Override ``tss`` from a TSS BED (``chrom start end symbol [ensembl]``), matched by
    Ensembl id when the BED has one, else by the symbol the annotation gives. Returns the number
    of genes updated."""
    tss = read_genes(path, genes.assembly.name, fmt="bed").df
    by_ensembl = dict(zip(tss["ensembl"], tss["start"], strict=True))
    by_symbol = dict(zip(tss["symbol"], tss["start"], strict=True))
    new = [
        by_ensembl.get(e, by_symbol.get(s, t))
        for e, s, t in zip(genes.df["ensembl"], genes.df["name"], genes.df["tss"], strict=True)
    ]
    changed = int((pd.Series(new, index=genes.df.index) != genes.df["tss"]).sum())
    genes.df["tss"] = new
    return changed


def write_genes(
    graph: Graph | None,
    genes: GeneSet,
    provenance: Provenance,
    *,
    progress: bool = True,
    writer: BatchWriter | BulkWriter | None = None,
) -> WriteCounts:
    """Replace the assembly's gene loci by these, in one transaction: MERGE the genes (symbol,
    Ensembl id, biotype), drop the assembly's old ``GeneLocus`` nodes (and coordinates an older
    version kept on Gene nodes), create the new loci and their ``LOCUS_OF``; record the source.
    ``writer``: where the rows go instead of ``graph`` (``priorgraph build``'s
    :class:`~priorgraph.kg.bulk.BulkWriter`, given bulk forms of the two removals).
    """
    if writer is None:
        writer = BatchWriter(graph, provenance, progress=progress)
    writer.provenance = provenance
    asm = genes.assembly.name
    total = len(genes.df)
    with writer.transaction():
        writer.execute(cypher.load("genes_drop_gene_coordinates"), {"species": genes.species})
        writer.execute(cypher.load("genes_delete_loci"), {"assembly": asm})
        counts = writer.merge_nodes("Gene", genes.gene_rows(), total=total)
        counts += writer.merge_nodes("GeneLocus", genes.locus_rows(), total=total)
        counts += writer.merge_relationships(
            "LOCUS_OF", genes.locus_of_rows(), start=("GeneLocus", "id"), end=("Gene", "id"),
            total=total,
        )  # fmt: skip
        writer.record_source(kind="genes", species=genes.species, assembly=asm, genes=total)
    return counts


@dataclass
class OrthologPairs:
    """Ortholog pairs ``(gene id a, gene id b, group)``, the pairs left out (genes absent) and
    how the names of each species were resolved."""

    pairs: list[dict]
    missing: list[tuple[str, str]]
    names: list[GeneNames] = field(default_factory=list)


def read_orthologs(
    path: str | Path, species_a: str = "human", species_b: str = "macaque"
) -> list[dict]:
    """Rows ``{start, end, homologene}`` from a table with ``<species>_symbol`` columns and an
    optional ``HID`` (HomoloGene group) column; blank symbols are an error."""
    path = Path(path)
    col_a, col_b = f"{species_a}_symbol", f"{species_b}_symbol"
    rows, seen = [], set()
    with open_text(path) as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        if not {col_a, col_b} <= set(reader.fieldnames or ()):
            raise GeneFileError(path, f"ortholog table needs columns {col_a!r} and {col_b!r}")
        for lineno, r in enumerate(reader, start=2):
            a, b = (r[col_a] or "").strip(), (r[col_b] or "").strip()
            if not a or not b:
                raise GeneFileError(path, "blank gene symbol", line=lineno)
            key = (ids.gene_id(a, species_a), ids.gene_id(b, species_b))
            if key in seen:
                continue
            seen.add(key)
            rows.append({"start": key[0], "end": key[1], "homologene": r.get("HID") or None})
    return rows


def check_orthologs(
    graph: Graph | BulkGraph,
    rows: list[dict],
    *,
    resolvers: Mapping[str, GeneResolver] | None = None,
) -> OrthologPairs:
    """Split pairs into those whose two genes are in the graph (a database, or a build's
    graph) and those that are not; with ``resolvers`` (species → resolver) the symbols are
    resolved first (HomoloGene keeps old symbols), and pairs that name a gene the reference
    does not know count as missing."""
    names: list[GeneNames] = []
    if resolvers:
        rows, names = _resolve_pairs(rows, resolvers)
    wanted = sorted({r["start"] for r in rows} | {r["end"] for r in rows})
    present = existing_ids(graph, "Gene", wanted)
    ok, missing = [], []
    for r in rows:
        if r["start"] in present and r["end"] in present:
            ok.append(r)
        else:
            missing.append((r["start"], r["end"]))
    return OrthologPairs(ok, missing, names)


def _resolve_pairs(
    rows: list[dict], resolvers: Mapping[str, GeneResolver]
) -> tuple[list[dict], list[GeneNames]]:
    """Rows with each ``species:symbol`` resolved (kept as given where unresolved), deduped."""
    by_species: dict[str, list[str]] = {}
    for r in rows:
        for gene in (r["start"], r["end"]):
            species, symbol = gene.split(":", 1)
            by_species.setdefault(species, []).append(symbol)
    names = {
        species: resolvers[species].names(symbols, what=f"{species} orthologs")
        for species, symbols in by_species.items()
        if species in resolvers
    }

    def resolved(gene: str) -> str:
        species, symbol = gene.split(":", 1)
        found = names[species].gene_id(symbol) if species in names else None
        return found or gene

    out, seen = [], set()
    for r in rows:
        key = (resolved(r["start"]), resolved(r["end"]))
        if key not in seen:
            seen.add(key)
            out.append({**r, "start": key[0], "end": key[1]})
    return out, list(names.values())


def write_orthologs(
    graph: Graph | None,
    pairs: OrthologPairs,
    provenance: Provenance,
    *,
    progress: bool = True,
    writer: BatchWriter | BulkWriter | None = None,
) -> WriteCounts:
    """MERGE ``(a)-[:ORTHOLOG_OF {homologene}]->(b)`` for pairs whose genes are present.

    ``writer``: where the rows go instead of ``graph`` (``priorgraph build``'s
    :class:`~priorgraph.kg.bulk.BulkWriter`)."""
    if writer is None:
        writer = BatchWriter(graph, provenance, progress=progress)
    writer.provenance = provenance
    with writer.transaction():
        counts = writer.merge_relationships(
            "ORTHOLOG_OF",
            pairs.pairs,
            start=("Gene", "id"),
            end=("Gene", "id"),
            total=len(pairs.pairs),
        )
        writer.record_source(kind="orthologs", pairs=len(pairs.pairs), missing=len(pairs.missing))
    return counts
