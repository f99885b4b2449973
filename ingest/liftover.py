"""LiftOver of peaks with a UCSC chain (pyliftover) and reciprocal-overlap consensus peaks.

**Mapping rule.** A peak ``[start, end)`` is lifted by converting its first base ``start`` and its
last base ``end - 1``. It maps when both ends map, to the same chromosome and strand, in order
(on a ``-`` chain the first base lands after the last), and the lifted length
``L' = |p(end-1) - p(start)| + 1`` satisfies ``|L' - L| <= tolerance * L``. Otherwise it is
counted as *unmapped* (an end falls in a chain gap or the chromosome is not in the chain), *split*
(ends on different chromosomes or strands), *inverted* (ends in reverse order) or *length* (an
indel between the ends changed the length beyond the tolerance).

**Versus UCSC ``liftOver -minMatch=0.95``.** UCSC counts the bases of the whole interval that are
covered by aligned chain blocks and requires that fraction to be >= minMatch; it can map peaks
whose ends fall in small gaps, and rejects peaks with large unaligned stretches inside even when
both ends align. pyliftover converts single positions only, so this module checks the two ends and
the length: a peak with an internal unaligned block but intact ends and length passes here and may
fail ``-minMatch``; a peak whose first or last base falls in a gap fails here and may pass there.
Both count a peak whose ends land on different chromosomes as unmapped (UCSC: "Split in new").

**Consensus.** Lifted source peaks that overlap target-assembly peaks by at least ``min_overlap``
of *each* interval (``overlap_bp / len >= 0.5`` for both, by default) become
``(:Peak)-[:LIFTS_TO {chain, overlap}]->(:Peak)`` with ``overlap = min(o/len_lifted, o/len_target)``
and both peaks get ``conserved = true``. Overlaps are found with bioframe.
"""

from __future__ import annotations

import gzip
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import bioframe
import numpy as np
import pandas as pd
from pyliftover import LiftOver

from priorgraph.core.errors import ChainFileError, UsageError
from priorgraph.core.utils import progress as progress_bar
from priorgraph.ingest.peaks import PeakSet
from priorgraph.kg import cypher
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts

DEFAULT_TOLERANCE = 0.2
DEFAULT_MIN_MAPPED = 0.5
DEFAULT_MIN_OVERLAP = 0.5
OUTCOMES = ("mapped", "unmapped", "split", "inverted", "length")
logger = logging.getLogger(__name__)


@dataclass
class Chain:
    """A loaded UCSC chain: the pyliftover index plus the source chromosome sizes of its header."""

    path: Path
    liftover: LiftOver
    source_sizes: dict[str, int]
    target_sizes: dict[str, int]

    @property
    def name(self) -> str:
        """``hg38ToHg19`` from ``hg38ToHg19.over.chain.gz``."""
        return self.path.name.split(".")[0]


def load_chain(path: str | Path) -> Chain:
    """Read a ``.over.chain`` or ``.over.chain.gz`` file (format checked by pyliftover)."""
    path = Path(path)
    if not path.is_file():
        raise ChainFileError(path, "no such chain file")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            lo = LiftOver(handle)
    except Exception as err:  # pyliftover raises bare Exceptions on malformed chains
        raise ChainFileError(path, f"not a readable UCSC chain file ({err})") from err
    chains = lo.chain_file.chains
    if not chains:
        raise ChainFileError(path, "no chains in file")
    return Chain(
        path,
        lo,
        {c.source_name: c.source_size for c in chains},
        {c.target_name: c.target_size for c in chains},
    )


@dataclass
class LiftResult:
    """Lifted peaks (``source_id``, target ``chrom``/``start``/``end``) and outcome counts."""

    chain: Chain
    lifted: pd.DataFrame
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def mapped_fraction(self) -> float:
        return self.counts["mapped"] / self.total if self.total else 0.0

    def summary(self) -> str:
        parts = ", ".join(f"{k} {self.counts[k]:,}" for k in OUTCOMES)
        return f"{self.total:,} peaks through {self.chain.name}: {parts}"


def _pick(hits_a: list, hits_b: list) -> tuple[str, int, int, str]:
    """Classify an interval by the hits of its first and last base: (outcome, start, end, chrom)."""
    if not hits_a or not hits_b:
        return "unmapped", 0, 0, ""
    same = [(a, b) for a in hits_a for b in hits_b if a[0] == b[0] and a[2] == b[2]]
    if not same:
        return "split", 0, 0, ""
    for a, b in same:
        forward = a[2] == "+"
        if (b[1] >= a[1]) if forward else (b[1] <= a[1]):
            lo, hi = sorted((a[1], b[1]))
            return "mapped", lo, hi + 1, a[0]
    return "inverted", 0, 0, ""


def lift_peaks(
    peaks: PeakSet,
    chain: Chain,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    min_mapped: float = DEFAULT_MIN_MAPPED,
    progress: bool = True,
) -> LiftResult:
    """Lift every peak (rule in the module docstring); raise when the chain fits the peaks badly.

    Raises :class:`~priorgraph.core.errors.ChainFileError` when peaks lie beyond the end of their
    chromosome in the chain's source assembly, or when fewer than ``min_mapped`` of the peaks
    map: both mean the chain was made for another assembly than the peaks'.
    """
    df = peaks.df
    sizes = df["chrom"].map(chain.source_sizes)
    beyond = df[sizes.notna() & (df["end"] > sizes.fillna(0))]
    if len(beyond):
        first = beyond.iloc[0]
        raise ChainFileError(
            chain.path,
            f"{len(beyond):,} of {len(df):,} peaks end beyond their chromosome in the source "
            f"assembly of {chain.path.name} (e.g. {first.chrom}:{first.start}-{first.end}, "
            f"{first.chrom} is {chain.source_sizes[first.chrom]:,} bp there): the chain is not "
            f"for {peaks.assembly.name}",
        )
    convert = chain.liftover.convert_coordinate
    source_ids = peaks.ids
    counts: Counter[str] = Counter()
    out: list[tuple[str, str, int, int]] = []
    rows = zip(source_ids, df["chrom"], df["start"], df["end"], strict=True)
    for source_id, chrom, start, end in progress_bar(
        rows, total=len(df), desc="liftOver", enabled=progress, unit="peak"
    ):
        outcome, s, e, c = _pick(convert(chrom, start) or [], convert(chrom, end - 1) or [])
        length = end - start
        if outcome == "mapped" and abs((e - s) - length) > tolerance * length:
            outcome = "length"
        counts[outcome] += 1
        if outcome == "mapped":
            out.append((source_id, c, s, e))
    result = LiftResult(
        chain, pd.DataFrame(out, columns=["source_id", "chrom", "start", "end"]), counts
    )
    if result.mapped_fraction < min_mapped:
        raise ChainFileError(
            chain.path,
            f"only {counts['mapped']:,} of {len(df):,} peaks ({result.mapped_fraction:.1%}) "
            f"mapped through {chain.path.name} ({result.summary()}); expected at least "
            f"{min_mapped:.0%}: is this chain for {peaks.assembly.name}? Its source chromosomes "
            f"include {', '.join(sorted(chain.source_sizes)[:5])}",
        )
    logger.info("%s", result.summary())
    return result


def consensus(
    lift: LiftResult, target: PeakSet, *, min_overlap: float = DEFAULT_MIN_OVERLAP
) -> pd.DataFrame:
    """Pairs (``source_id``, ``target_id``, ``overlap``) of lifted and target peaks that overlap by
    at least ``min_overlap`` of each: ``o / (e1 - s1) >= f`` and ``o / (e2 - s2) >= f``."""
    if not 0 < min_overlap <= 1:
        raise UsageError("min_overlap must be in (0, 1]")
    columns = ["source_id", "target_id", "overlap"]
    if lift.lifted.empty:
        return pd.DataFrame(columns=columns)
    right = target.df[["chrom", "start", "end"]].assign(target_id=target.ids)
    pairs = bioframe.overlap(lift.lifted, right, how="inner", suffixes=("", "_t"))
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    bp = np.minimum(pairs["end"], pairs["end_t"]) - np.maximum(pairs["start"], pairs["start_t"])
    frac = np.minimum(
        bp / (pairs["end"] - pairs["start"]), bp / (pairs["end_t"] - pairs["start_t"])
    )
    pairs = pairs.assign(overlap=frac.astype(float))
    keep = pairs[pairs["overlap"] >= min_overlap]
    return keep.rename(columns={"target_id_t": "target_id"})[columns].reset_index(drop=True)


def write_lifted_bed(lift: LiftResult, path: str | Path) -> Path:
    """Write the lifted intervals as BED (name = source peak id), sorted by position."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bed = lift.lifted.sort_values(["chrom", "start", "end"])
    bed[["chrom", "start", "end", "source_id"]].to_csv(path, sep="\t", header=False, index=False)
    return path


def write_consensus(
    graph: Graph,
    pairs: pd.DataFrame,
    chain: Chain,
    provenance: Provenance,
    *,
    progress: bool = True,
) -> WriteCounts:
    """MERGE ``LIFTS_TO {chain, overlap}`` (both peaks must already be in the graph) and flag
    both ends ``conserved``, in one transaction.

    Every endpoint is checked first; a pair whose peak is missing aborts before any write.
    """
    source_ids = pairs["source_id"].unique().tolist()
    target_ids = pairs["target_id"].unique().tolist()
    found = {r["id"] for r in cypher.run(graph, "peaks_existing", ids=source_ids + target_ids)}
    missing = sorted(set(source_ids + target_ids) - found)
    if missing:
        raise UsageError(
            f"{len(missing):,} peaks of the consensus are not in the graph (e.g. "
            f"{', '.join(missing[:3])}): ingest both peak sets first; nothing written"
        )
    rows = (
        {"start": s, "end": t, "chain": chain.name, "overlap": round(float(o), 6)}
        for s, t, o in zip(pairs["source_id"], pairs["target_id"], pairs["overlap"], strict=True)
    )
    writer = BatchWriter(graph, provenance, progress=progress)
    with writer.transaction():
        counts = writer.merge_relationships(
            "LIFTS_TO",
            rows,
            start=("Peak", "id"),
            end=("Peak", "id"),
            keys=("chain",),
            total=len(pairs),
        )
        writer.execute(cypher.load("peaks_mark_conserved"), {"chain": chain.name})
        writer.record_source(kind="liftover", chain=chain.name, pairs=len(pairs))
    return counts
