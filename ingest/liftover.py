"""LiftOver of peaks with a UCSC chain (pyliftover) and reciprocal-overlap consensus peaks.

**Mapping rule.** A peak ``[start, end)`` is lifted by converting its first base ``start`` and its
last base ``end - 1``. It maps when both ends map, to the same chromosome and strand, in order
(on a ``-`` chain the first base lands after the last), and the lifted length
``L' = |p(end-1) - p(start)| + 1`` satisfies ``|L' - L| <= tolerance * L``. Otherwise it is
counted as *unmapped* (an end falls in a chain gap or the chromosome is not in the chain), *split*
(ends on different chromosomes or strands), *inverted* (ends in reverse order) or *length* (an
indel between the ends changed the length beyond the tolerance). A peak that maps onto an
unplaced, random, alternative or fix contig of the target (``chrUn_…``, ``…_random``,
``…_alt``, ``…_fix``, ``…_hap``: any name with ``_``, or outside the target assembly's
chromosomes) is *unplaced*: counted apart from *mapped* and left out unless
``unplaced="keep"``, so the lifted peaks load as peaks of the target assembly.

**Multi-mapping.** A base that lies in several chains maps to several places (a segmental
duplication, a paralogous locus). The pair of end hits kept is the one on a primary chromosome
from the highest-scoring chains; a peak either end of which had more than one hit is flagged
``multi`` (counted in the report, kept on ``LIFTS_TO``).

**Which chain.** The chain's assemblies are read from its file name (``hg38ToHg19.over.chain``)
and from its header's chromosome sizes (which identify hg38 and hg19); either one naming another
assembly than the peaks' (``-a``) is an error before any peak is lifted, whatever the input size.
Peaks beyond the end of their chromosome in the chain, and a mapped fraction below
``min_mapped``, also mean a wrong chain.

**Versus UCSC ``liftOver -minMatch=0.95``.** UCSC counts the bases of the whole interval that are
covered by aligned chain blocks and requires that fraction to be >= minMatch; it can map peaks
whose ends fall in small gaps, and rejects peaks with large unaligned stretches inside even when
both ends align. pyliftover converts single positions only, so this module checks the two ends and
the length: a peak with an internal unaligned block but intact ends and length passes here and may
fail ``-minMatch``; a peak whose first or last base falls in a gap fails here and may pass there.
Both count a peak whose ends land on different chromosomes as unmapped (UCSC: "Split in new").

**Consensus.** Lifted source peaks that overlap target-assembly peaks by at least ``min_overlap``
of *each* interval (``overlap_bp / len >= 0.5`` for both, by default) become
``(:Peak)-[:LIFTS_TO {chain, overlap, multi}]->(:Peak)`` with
``overlap = min(o/len_lifted, o/len_target)`` and both peaks get ``conserved = true``. Overlaps
are found with bioframe.
"""

from __future__ import annotations

import gzip
import logging
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import bioframe
import numpy as np
import pandas as pd
from pyliftover import LiftOver

from priorgraph.core.errors import ChainFileError, UsageError
from priorgraph.core.utils import progress as progress_bar
from priorgraph.ingest.peaks import ASSEMBLIES, Assembly, PeakSet
from priorgraph.kg import cypher
from priorgraph.kg.bulk import BulkGraph, BulkWriter
from priorgraph.kg.connection import Graph
from priorgraph.kg.existing import existing_ids
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts

DEFAULT_TOLERANCE = 0.2
DEFAULT_MIN_MAPPED = 0.5
DEFAULT_MIN_OVERLAP = 0.5
OUTCOMES = ("mapped", "unplaced", "unmapped", "split", "inverted", "length")
UNPLACED = ("skip", "keep")
LIFTED_COLUMNS = ["source_id", "chrom", "start", "end", "multi"]
_CHAIN_NAME = re.compile(r"^([A-Za-z][A-Za-z0-9]*?)To([A-Z][A-Za-z0-9]*)$")
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

    def assemblies(self) -> dict[str, dict[str, str]]:
        """What the chain says it lifts from and to: ``{"source": {"file name": "hg38",
        "header": "hg38"}, "target": {…}}``, each entry only where it can tell (the header's
        chromosome sizes identify assemblies whose sizes are known)."""
        out: dict[str, dict[str, str]] = {"source": {}, "target": {}}
        if match := _CHAIN_NAME.match(self.name):
            for side, text in zip(out, match.groups(), strict=True):
                name = text[0].lower() + text[1:]
                if name in ASSEMBLIES:
                    out[side]["file name"] = name
        for side, sizes in (("source", self.source_sizes), ("target", self.target_sizes)):
            if found := identify_assembly(sizes):
                out[side]["header"] = found
        return out

    def check(self, *, source: str, target: str | None = None) -> str | None:
        """Refuse a chain made for other assemblies than ``source`` (and ``target``); return
        the target assembly it names (None when it cannot tell)."""
        said = self.assemblies()
        for side, expected in (("source", source), ("target", target)):
            wrong = {how: name for how, name in said[side].items() if name != expected}
            if expected is not None and wrong:
                how, name = next(iter(wrong.items()))
                raise ChainFileError(
                    self.path,
                    f"this chain lifts {'from' if side == 'source' else 'to'} {name} (by its "
                    f"{how}), not {expected}: use a chain made for "
                    f"{'peaks of ' if side == 'source' else ''}{expected}",
                )
        if not said["source"]:
            logger.warning(
                "%s: neither the file name nor the header tell which assembly the chain lifts "
                "from; only how the peaks fit it is checked", self.path,
            )  # fmt: skip
        return target or next(iter(said["target"].values()), None)


def identify_assembly(sizes: Mapping[str, int]) -> str | None:
    """The known assembly whose chromosome sizes ``sizes`` matches (every chromosome the two
    share has the same size, and they share at least one); None when none or several do."""
    found = [
        a.name
        for a in ASSEMBLIES.values()
        if (common := a.sizes.keys() & sizes.keys()) and all(a.sizes[c] == sizes[c] for c in common)
    ]
    return found[0] if len(found) == 1 else None


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
    """Lifted peaks (``source_id``, target ``chrom``/``start``/``end``, ``multi``), the outcome
    counts and the number of multi-mapping peaks among the mapped and unplaced ones."""

    chain: Chain
    lifted: pd.DataFrame
    counts: Counter[str] = field(default_factory=Counter)
    multi: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def mapped_fraction(self) -> float:
        """Peaks that landed somewhere (mapped or unplaced) per peak lifted."""
        landed = self.counts["mapped"] + self.counts["unplaced"]
        return landed / self.total if self.total else 0.0

    def summary(self) -> str:
        parts = ", ".join(f"{k} {self.counts[k]:,}" for k in OUTCOMES)
        return f"{self.total:,} peaks through {self.chain.name}: {parts}; multi {self.multi:,}"


def is_unplaced(chrom: str, target: Assembly | None) -> bool:
    """An unplaced, random, alternative, fix or haplotype contig (``chrUn_…``, ``chr1_…_alt``)
    or, for a known target assembly, any name outside its chromosomes."""
    return "_" in chrom or (target is not None and chrom not in target.chromosomes)


def _pick(hits_a: list, hits_b: list, target: Assembly | None) -> tuple[str, int, int, str]:
    """Classify an interval by the hits of its first and last base (each ``(chrom, position,
    strand, chain score)``, best chain first): (outcome, start, end, chrom). The pair kept is on
    a primary chromosome if one is, from the best chains."""
    if not hits_a or not hits_b:
        return "unmapped", 0, 0, ""
    same = [(a, b) for a in hits_a for b in hits_b if a[0] == b[0] and a[2] == b[2]]
    if not same:
        return "split", 0, 0, ""
    ordered = [(a, b) for a, b in same if (b[1] >= a[1] if a[2] == "+" else b[1] <= a[1])]
    if not ordered:
        return "inverted", 0, 0, ""
    a, b = min(ordered, key=lambda p: (is_unplaced(p[0][0], target), -(p[0][3] + p[1][3])))
    lo, hi = sorted((a[1], b[1]))
    return ("unplaced" if is_unplaced(a[0], target) else "mapped"), lo, hi + 1, a[0]


def lift_peaks(
    peaks: PeakSet,
    chain: Chain,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    min_mapped: float = DEFAULT_MIN_MAPPED,
    unplaced: str = "skip",
    target_assembly: str | None = None,
    progress: bool = True,
) -> LiftResult:
    """Lift every peak (rules in the module docstring); raise when the chain does not fit.

    Raises :class:`~priorgraph.core.errors.ChainFileError` when the chain's file name or header
    names another assembly than the peaks' (or than ``target_assembly``), when peaks lie beyond
    the end of their chromosome in the chain's source assembly, or when fewer than ``min_mapped``
    of the peaks map. ``unplaced``: ``skip`` leaves peaks that land on unplaced/alt contigs out
    of ``lifted`` (they are counted), ``keep`` keeps them.
    """
    if unplaced not in UNPLACED:
        raise UsageError(f"unplaced must be one of {UNPLACED}, not {unplaced!r}")
    target_name = chain.check(source=peaks.assembly.name, target=target_assembly)
    target = ASSEMBLIES.get(target_name) if target_name else None
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
    counts: Counter[str] = Counter()
    n_multi = 0
    out: list[tuple[str, str, int, int, bool]] = []
    rows = zip(peaks.ids, df["chrom"], df["start"], df["end"], strict=True)
    for source_id, chrom, start, end in progress_bar(
        rows, total=len(df), desc="liftOver", enabled=progress, unit="peak"
    ):
        hits_a, hits_b = convert(chrom, start) or [], convert(chrom, end - 1) or []
        outcome, s, e, c = _pick(hits_a, hits_b, target)
        length = end - start
        if outcome in ("mapped", "unplaced") and abs((e - s) - length) > tolerance * length:
            outcome = "length"
        counts[outcome] += 1
        if outcome in ("mapped", "unplaced"):
            multi = len(hits_a) > 1 or len(hits_b) > 1
            n_multi += multi
            if outcome == "mapped" or unplaced == "keep":
                out.append((source_id, c, s, e, multi))
    result = LiftResult(chain, pd.DataFrame(out, columns=LIFTED_COLUMNS), counts, n_multi)
    if result.mapped_fraction < min_mapped:
        raise ChainFileError(
            chain.path,
            f"only {counts['mapped'] + counts['unplaced']:,} of {len(df):,} peaks "
            f"({result.mapped_fraction:.1%}) mapped through {chain.path.name} "
            f"({result.summary()}); expected at least {min_mapped:.0%}: is this chain for "
            f"{peaks.assembly.name}? Its source chromosomes include "
            f"{', '.join(sorted(chain.source_sizes)[:5])}",
        )
    logger.info("%s", result.summary())
    return result


def consensus(
    lift: LiftResult, target: PeakSet, *, min_overlap: float = DEFAULT_MIN_OVERLAP
) -> pd.DataFrame:
    """Pairs (``source_id``, ``target_id``, ``overlap``, ``multi``) of lifted and target peaks
    that overlap by at least ``min_overlap`` of each: ``o / (e1 - s1) >= f`` and
    ``o / (e2 - s2) >= f``; ``multi`` flags a lifted peak that multi-maps. Sorted by ids."""
    if not 0 < min_overlap <= 1:
        raise UsageError("min_overlap must be in (0, 1]")
    columns = ["source_id", "target_id", "overlap", "multi"]
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
    keep = keep.rename(columns={"target_id_t": "target_id"})[columns]
    return keep.sort_values(["source_id", "target_id"]).reset_index(drop=True)


def write_lifted_bed(lift: LiftResult, path: str | Path) -> Path:
    """Write the lifted intervals as BED (name = source peak id), sorted by position."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bed = lift.lifted.sort_values(["chrom", "start", "end"])
    bed[["chrom", "start", "end", "source_id"]].to_csv(path, sep="\t", header=False, index=False)
    return path


def write_consensus(
    graph: Graph | BulkGraph,
    pairs: pd.DataFrame,
    chain: Chain,
    provenance: Provenance,
    *,
    progress: bool = True,
    writer: BatchWriter | BulkWriter | None = None,
) -> WriteCounts:
    """MERGE ``LIFTS_TO {chain, overlap, multi}`` (both peaks must already be in the graph) and flag
    both ends ``conserved``, in one transaction.

    Every endpoint is checked first; a pair whose peak is missing aborts before any write.
    ``writer``: where the rows go (``priorgraph build`` passes its
    :class:`~priorgraph.kg.bulk.BulkWriter`, with ``graph`` the build's graph).
    """
    source_ids = pairs["source_id"].unique().tolist()
    target_ids = pairs["target_id"].unique().tolist()
    found = existing_ids(graph, "Peak", source_ids + target_ids)
    missing = sorted(set(source_ids + target_ids) - found)
    if missing:
        raise UsageError(
            f"{len(missing):,} peaks of the consensus are not in the graph (e.g. "
            f"{', '.join(missing[:3])}): ingest both peak sets first; nothing written"
        )
    rows = (
        {"start": s, "end": t, "chain": chain.name, "overlap": round(float(o), 6),
         "multi": bool(m)}
        for s, t, o, m in zip(
            pairs["source_id"], pairs["target_id"], pairs["overlap"], pairs["multi"], strict=True
        )
    )  # fmt: skip
    if writer is None:
        writer = BatchWriter(graph, provenance, progress=progress)
    writer.provenance = provenance
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
        writer.record_source(
            kind="liftover", chain=chain.name, pairs=len(pairs), multi=int(pairs["multi"].sum())
        )
    return counts
