"""ATAC peaks from BED / narrowPeak files → ``(:Peak {id, species, assembly, chrom, start, end})``.

Every line is validated before anything is written: at least three tab-separated fields, integer
``start``/``end`` with ``0 <= start < end``, a chromosome of the assembly. Ensembl-style names
(``1``, ``X``, ``MT``) are rewritten to the UCSC names the assemblies here use (``chr1``, ``chrX``,
``chrM``) unless ``normalise=False``, in which case they are rejected. Peaks on contigs outside
the assembly's chromosomes (10x's ``GL000219.1``, ``KI270713.1``) are an error with counts per
contig, or skipped and counted with ``unknown_contigs="skip"``. Unsorted input is detected and
reported (the peaks are sorted in memory); exact duplicates are dropped and counted.

Coordinates stay 0-based half-open as in BED; the node id is ``hg38:chr1:100-600``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from priorgraph.core.errors import PeakFileError, Problem, UsageError
from priorgraph.core.utils import open_text
from priorgraph.kg import ids
from priorgraph.kg.bulk import BulkWriter
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts

logger = logging.getLogger(__name__)
NARROWPEAK_FIELDS = ("name", "score", "strand", "signal", "p_value", "q_value", "summit")


@dataclass(frozen=True)
class Assembly:
    """A genome assembly: its species, primary chromosome names (UCSC style) and, where known,
    their sizes (which identify the assembly a liftOver chain was made for)."""

    name: str
    species: str
    chromosomes: frozenset[str]
    sizes: Mapping[str, int] = field(default_factory=dict, hash=False)

    def normalise(self, chrom: str) -> str | None:
        """``1``/``X``/``MT`` → ``chr1``/``chrX``/``chrM``; None when it names no chromosome."""
        if chrom in self.chromosomes:
            return chrom
        ucsc = "chrM" if chrom in ("MT", "M") else f"chr{chrom}"
        return ucsc if ucsc in self.chromosomes else None


def _chroms(autosomes: int, extra: tuple[str, ...] = ("X", "Y", "M")) -> frozenset[str]:
    return frozenset(f"chr{c}" for c in (*map(str, range(1, autosomes + 1)), *extra))


def _sizes(*sizes: int) -> dict[str, int]:
    """Sizes of chr1..chr22, chrX, chrY, chrM in that order (UCSC chrom.sizes)."""
    names = [f"chr{c}" for c in (*range(1, 23), "X", "Y", "M")]
    return dict(zip(names, sizes, strict=True))


# UCSC chrom.sizes of chr1..chr22, chrX, chrY, chrM (checked against the hg38ToHg19 chain)
_HG38_SIZES = (
    248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973, 145138636,
    138394717, 133797422, 135086622, 133275309, 114364328, 107043718, 101991189, 90338345,
    83257441, 80373285, 58617616, 64444167, 46709983, 50818468, 156040895, 57227415, 16569,
)  # fmt: skip
_HG19_SIZES = (
    249250621, 243199373, 198022430, 191154276, 180915260, 171115067, 159138663, 146364022,
    141213431, 135534747, 135006516, 133851895, 115169878, 107349540, 102531392, 90354753,
    81195210, 78077248, 59128983, 63025520, 48129895, 51304566, 155270560, 59373566, 16571,
)  # fmt: skip

ASSEMBLIES: dict[str, Assembly] = {
    a.name: a
    for a in (
        Assembly("hg38", "human", _chroms(22), _sizes(*_HG38_SIZES)),
        Assembly("hg19", "human", _chroms(22), _sizes(*_HG19_SIZES)),
        Assembly("rheMac10", "macaque", _chroms(20)),
        Assembly("rheMac8", "macaque", _chroms(20)),
        Assembly("mm10", "mouse", _chroms(19)),
        Assembly("mm39", "mouse", _chroms(19)),
    )
}


def get_assembly(name: str) -> Assembly:
    """The assembly ``name`` (a UsageError naming the known ones otherwise)."""
    try:
        return ASSEMBLIES[name]
    except KeyError:
        raise UsageError(f"unknown assembly {name!r}; known: {', '.join(ASSEMBLIES)}") from None


@dataclass
class PeakReport:
    """What reading a peak file found, beside the peaks themselves."""

    path: str
    lines: int = 0
    peaks: int = 0
    renamed: int = 0  # Ensembl-style names rewritten to UCSC style
    skipped_contigs: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    out_of_order: int = 0  # lines that start before the previous line on the same chromosome
    first_out_of_order: int | None = None

    @property
    def sorted(self) -> bool:
        return self.out_of_order == 0

    def summary(self) -> str:
        parts = [f"{self.peaks:,} peaks from {self.lines:,} lines of {self.path}"]
        if self.renamed:
            parts.append(f"{self.renamed:,} chromosome names normalised (1 → chr1)")
        if self.skipped_contigs:
            n = sum(self.skipped_contigs.values())
            parts.append(f"{n:,} peaks on {len(self.skipped_contigs)} unknown contigs skipped")
        if self.duplicates:
            parts.append(f"{self.duplicates:,} duplicate peaks dropped")
        if self.out_of_order:
            parts.append(
                f"unsorted input ({self.out_of_order:,} lines out of order, first at line "
                f"{self.first_out_of_order}); sorted in memory"
            )
        return "; ".join(parts)


@dataclass
class PeakSet:
    """Validated peaks of one assembly, sorted by (chrom, start, end), with the read report."""

    assembly: Assembly
    df: pd.DataFrame  # chrom, start, end[, narrowPeak fields]
    report: PeakReport

    @property
    def ids(self) -> list[str]:
        a = self.assembly.name
        return [
            ids.peak_id(a, c, s, e)
            for c, s, e in zip(self.df["chrom"], self.df["start"], self.df["end"], strict=True)
        ]

    def rows(self) -> Iterator[dict]:
        """Node rows for ``(:Peak)``; narrowPeak columns become properties too."""
        extra = [c for c in NARROWPEAK_FIELDS if c in self.df.columns and c != "strand"]
        a = self.assembly
        for record in self.df.itertuples(index=False):
            row = {
                "id": ids.peak_id(a.name, record.chrom, record.start, record.end),
                "species": a.species,
                "assembly": a.name,
                "chrom": record.chrom,
                "start": int(record.start),
                "end": int(record.end),
            }
            row.update({c: getattr(record, c) for c in extra})
            yield row


def _narrowpeak_values(fields: list[str]) -> tuple[str, int, str, float, float, float, int]:
    name, score, strand, signal, p, q, summit = fields[3:10]
    return name, int(score), strand, float(signal), float(p), float(q), int(summit)


def read_peaks(
    path: str | Path,
    assembly: str,
    *,
    normalise: bool = True,
    unknown_contigs: str = "error",
    fmt: str = "auto",
) -> PeakSet:
    """Read and validate a BED (3+ columns) or narrowPeak (10 columns) file.

    ``fmt``: ``bed``, ``narrowpeak`` or ``auto`` (narrowPeak when the name ends in
    ``.narrowPeak(.gz)``). ``unknown_contigs``: ``error`` or ``skip``. Raises
    :class:`PeakFileError` listing the first problems with their line numbers and the counts.
    """
    if unknown_contigs not in ("error", "skip"):
        raise UsageError("unknown_contigs must be 'error' or 'skip'")
    path = Path(path)
    asm = get_assembly(assembly)
    narrow = fmt == "narrowpeak" or (
        fmt == "auto" and path.name.lower().removesuffix(".gz").endswith(".narrowpeak")
    )
    report = PeakReport(str(path))
    errors: list[Problem] = []
    n_errors = 0
    unknown: Counter[str] = Counter()
    unknown_first: dict[str, int] = {}
    records: list[tuple] = []
    last: dict[str, int] = {}
    previous_chrom: str | None = None
    seen_chroms: set[str] = set()

    def error(lineno: int, problem: str) -> None:
        nonlocal n_errors
        n_errors += 1
        errors.append(Problem(str(path), lineno, problem))

    with open_text(path) as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            report.lines += 1
            fields = line.rstrip("\n\r").split("\t")
            if len(fields) < 3 or (narrow and len(fields) < 10):
                need = "10 (narrowPeak)" if narrow else "3"
                error(lineno, f"{len(fields)} tab-separated field(s), expected at least {need}")
                continue
            raw_chrom, raw_start, raw_end = fields[:3]
            try:
                start, end = int(raw_start), int(raw_end)
            except ValueError:
                error(lineno, f"start/end are not integers: {raw_start!r}, {raw_end!r}")
                continue
            if start < 0 or start >= end:
                error(lineno, f"need 0 <= start < end, got start={start} end={end}")
                continue
            extra: tuple = ()
            if narrow:
                try:
                    extra = _narrowpeak_values(fields)
                except ValueError as err:
                    error(lineno, f"bad narrowPeak field: {err}")
                    continue
            chrom = asm.normalise(raw_chrom)
            if chrom is None:
                unknown[raw_chrom] += 1
                unknown_first.setdefault(raw_chrom, lineno)
                continue
            if chrom != raw_chrom:
                if not normalise:
                    error(lineno, f"chromosome {raw_chrom!r} is not UCSC style ({chrom!r})")
                    continue
                report.renamed += 1
            if chrom != previous_chrom:
                if chrom in seen_chroms:
                    report.out_of_order += 1  # chromosome blocks interleave
                    report.first_out_of_order = report.first_out_of_order or lineno
                seen_chroms.add(chrom)
                previous_chrom = chrom
            elif start < last[chrom]:
                report.out_of_order += 1
                report.first_out_of_order = report.first_out_of_order or lineno
            last[chrom] = start
            records.append((chrom, start, end, *extra))

    if unknown and unknown_contigs == "error":
        listed = ", ".join(
            f"{c} ({n}, first at line {unknown_first[c]})" for c, n in unknown.most_common(10)
        )
        n_errors += sum(unknown.values())
        errors.insert(0, Problem(
            str(path), None,
            f"{sum(unknown.values()):,} peaks on {len(unknown)} contig(s) that are not {asm.name} "
            f"chromosomes: {listed}; pass unknown_contigs='skip' (--unknown-contigs skip) to "
            "drop them, or check the assembly",
        ))  # fmt: skip
    if n_errors:
        raise PeakFileError(
            path, f"{n_errors:,} problem(s) in {report.lines:,} lines, nothing written:",
            problems=errors,
        )  # fmt: skip
    report.skipped_contigs = dict(unknown)
    columns = ["chrom", "start", "end", *(NARROWPEAK_FIELDS if narrow else ())]
    df = pd.DataFrame.from_records(records, columns=columns)
    if df.empty:
        raise PeakFileError(path, f"no peaks on {asm.name} chromosomes")
    before = len(df)
    df = df.drop_duplicates(["chrom", "start", "end"]).sort_values(["chrom", "start", "end"])
    report.duplicates = before - len(df)
    report.peaks = len(df)
    logger.info("%s", report.summary())
    return PeakSet(asm, df.reset_index(drop=True), report)


def write_peaks(
    graph: Graph | None,
    peaks: PeakSet,
    provenance: Provenance,
    *,
    progress: bool = True,
    writer: BatchWriter | BulkWriter | None = None,
) -> WriteCounts:
    """MERGE the peaks as ``(:Peak)`` nodes in one transaction and record the source.
    ``writer``: where the rows go instead of ``graph`` (``priorgraph build``'s
    :class:`~priorgraph.kg.bulk.BulkWriter`)."""
    if writer is None:
        writer = BatchWriter(graph, provenance, progress=progress)
    writer.provenance = provenance
    with writer.transaction():
        counts = writer.merge_nodes("Peak", peaks.rows(), total=len(peaks.df))
        writer.record_source(
            kind="peaks", assembly=peaks.assembly.name, peaks=len(peaks.df), file=peaks.report.path
        )
    return counts
