"""Peak–gene links ``(:Peak)-[:LINKED_TO {distance, weight, sign, method, assembly}]->(:Gene)``.

Links belong to one assembly: window links are computed from the peaks of an assembly and the
gene loci of that assembly (``(:GeneLocus {assembly})-[:LOCUS_OF]->(:Gene)``), and every link
set is keyed by its ``method`` *and* ``assembly``, so hg19 and hg38 links of one method coexist.

**Window links, as GLUE's ``rna_anchored_guidance_graph``.** Each gene gets a region:

* ``promoter``: the TSS base extended ``promoter_len`` bp upstream
  (``[tss - P, tss + 1)`` on ``+``, ``[tss, tss + P + 1)`` on ``-``);
* ``gene_body``: the gene ``[start, end)``;
* ``combined`` (GLUE's default): the gene body extended ``promoter_len`` bp upstream.

A peak is linked to a gene when its distance to the region is at most ``window`` (150 kb by
default). The distance follows GLUE: ``d = 0`` when peak and region overlap, else
``d = gap + 1`` with ``gap`` the number of bases between them. The weight is GLUE's power-law
decay ``w = ((d + 1000) / 1000) ** -0.75`` (``w = 1`` at ``d = 0``, ``0.26`` at 5 kb, ``0.023``
at 150 kb); the sign is ``+1``. Peaks flagged ``conserved`` can be up-weighted by
``conserved_boost`` ``b``: ``w' = min(1, b · w)``, so weights stay in ``(0, 1]``. Candidate pairs
come from one bioframe overlap of the peaks with the regions padded by ``window``.

**External link tables** (Cicero co-accessibility, ABC, …): a TSV/CSV with columns ``peak``,
``gene``, ``score`` and optionally ``sign``. The peak is ``chr1:100-600``, ``chr1-100-600`` or
``chr1_100_600``; the gene a symbol or an Ensembl id (resolved as every gene name is, see
:mod:`priorgraph.ingest.gene_resolution`). Without a ``sign`` column, ``sign = sign(score)`` and
``weight = |score|``; weights must lie in ``(0, 1]`` (``scale=True`` divides by ``max |score|``);
zero scores are dropped and counted.
"""

from __future__ import annotations

import csv
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import bioframe
import numpy as np
import pandas as pd

from priorgraph.core.errors import LinkFileError, Problem, UsageError
from priorgraph.core.utils import open_text
from priorgraph.ingest.gene_resolution import GeneNames, GeneResolver
from priorgraph.ingest.peaks import get_assembly
from priorgraph.kg import cypher, ids
from priorgraph.kg.bulk import BulkGraph, BulkWriter
from priorgraph.kg.connection import Graph
from priorgraph.kg.existing import existing_ids
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts

REGIONS = ("promoter", "gene_body", "combined")
DEFAULT_WINDOW = 150_000
DEFAULT_PROMOTER_LEN = 2_000
LINK_COLUMNS = ["peak_id", "gene_id", "distance", "weight", "sign", "method"]
logger = logging.getLogger(__name__)
_PEAK_NAME = re.compile(r"^(?P<chrom>[^:\s]+?)[:_-](?P<start>\d+)[_-](?P<end>\d+)$")


def power_decay(distance: np.ndarray | float) -> np.ndarray | float:
    """GLUE's distance weight ``((d + 1000) / 1000) ** -0.75`` (1 at d = 0)."""
    return ((np.asarray(distance, dtype=float) + 1000.0) / 1000.0) ** -0.75


def window_method(region: str, window: int) -> str:
    """The ``method`` property of window links: ``window_combined_150kb``."""
    return (
        f"window_{region}_{window // 1000}kb"
        if window % 1000 == 0
        else (f"window_{region}_{window}bp")
    )


def gene_regions(genes: pd.DataFrame, region: str, promoter_len: int) -> pd.DataFrame:
    """``chrom, start, end, gene_id`` regions of genes (``id, chrom, start, end, strand, tss``)."""
    if region not in REGIONS:
        raise UsageError(f"unknown region {region!r}; choose from {REGIONS}")
    if promoter_len < 0:
        raise UsageError("promoter_len must be >= 0")
    plus = (genes["strand"] == "+").to_numpy()
    tss = genes["tss"].to_numpy()
    if region == "promoter":
        start = np.where(plus, tss - promoter_len, tss)
        end = np.where(plus, tss + 1, tss + promoter_len + 1)
    else:
        pad = promoter_len if region == "combined" else 0
        start = np.where(plus, genes["start"] - pad, genes["start"])
        end = np.where(plus, genes["end"], genes["end"] + pad)
    return pd.DataFrame(
        {
            "chrom": genes["chrom"].to_numpy(),
            "start": np.maximum(start, 0),
            "end": end,
            "gene_id": genes["id"].to_numpy(),
        }
    )


def window_links(
    peaks: pd.DataFrame,
    genes: pd.DataFrame,
    *,
    window: int = DEFAULT_WINDOW,
    region: str = "combined",
    promoter_len: int = DEFAULT_PROMOTER_LEN,
    conserved_boost: float = 1.0,
) -> pd.DataFrame:
    """Links between ``peaks`` (``id, chrom, start, end[, conserved]``) and ``genes`` within
    ``window`` bp of the gene region; rule and weight in the module docstring."""
    if window < 0:
        raise UsageError("window must be >= 0")
    if conserved_boost <= 0:
        raise UsageError("conserved_boost must be > 0")
    regions = gene_regions(genes, region, promoter_len)
    padded = regions.assign(rstart=regions["start"], rend=regions["end"])
    padded = bioframe.expand(padded, pad=window)
    left = peaks[["chrom", "start", "end", "id"]].assign(
        conserved=peaks["conserved"].fillna(False).astype(bool) if "conserved" in peaks else False
    )
    pairs = bioframe.overlap(left, padded, how="inner", suffixes=("", "_g"))
    if pairs.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    ps, pe = pairs["start"].to_numpy(), pairs["end"].to_numpy()
    rs, re_ = pairs["rstart_g"].to_numpy().astype(int), pairs["rend_g"].to_numpy().astype(int)
    overlapping = (ps < re_) & (rs < pe)
    distance = np.where(overlapping, 0, np.maximum(ps - re_, rs - pe) + 1)
    keep = distance <= window
    weight = power_decay(distance[keep])
    conserved = pairs["conserved"].to_numpy()[keep].astype(bool)
    weight = np.where(conserved, np.minimum(1.0, weight * conserved_boost), weight)
    links = pd.DataFrame(
        {
            "peak_id": pairs["id"].to_numpy()[keep],
            "gene_id": pairs["gene_id_g"].to_numpy()[keep],
            "distance": distance[keep].astype(int),
            "weight": weight,
            "sign": 1,
            "method": window_method(region, window),
        }
    )
    return links  # one row per (peak, gene): each gene has one region


def window_provenance(method: str, assembly: str) -> Provenance:
    """Window links are computed, not read: the method names the source, the assembly its
    version."""
    return Provenance(f"links.{method}", assembly)


def graph_features(graph: Graph, assembly: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Peaks of ``assembly`` and the genes placed on it (their loci there), from the graph."""
    asm = get_assembly(assembly)
    peaks = pd.DataFrame(
        cypher.run(graph, "peaks_coordinates", assembly=asm.name),
        columns=["id", "chrom", "start", "end", "conserved"],
    )
    genes = pd.DataFrame(
        cypher.run(graph, "peaks_gene_coordinates", assembly=asm.name),
        columns=["id", "symbol", "chrom", "start", "end", "strand", "tss"],
    )
    return peaks, genes


def link_rows(links: pd.DataFrame) -> list[dict]:
    """``LINKED_TO`` rows ``{start: peak id, end: gene id, distance, weight, sign}`` of a link
    table (``distance`` None for links without one)."""
    distance = [_opt_int(d) for d in links["distance"].tolist()]
    return [
        {"start": p, "end": g, "distance": d, "weight": float(w), "sign": int(s)}
        for p, g, d, w, s in zip(
            links["peak_id"].tolist(), links["gene_id"].tolist(), distance,
            links["weight"].tolist(), links["sign"].tolist(), strict=True,
        )
    ]  # fmt: skip


def write_links(
    graph: Graph | None,
    links: pd.DataFrame,
    provenance: Provenance,
    *,
    assembly: str,
    atomic: bool = False,
    progress: bool = True,
    writer: BatchWriter | BulkWriter | None = None,
) -> WriteCounts:
    """Replace the ``LINKED_TO`` links of each method of ``assembly`` by these rows.

    Each (method, assembly) is one set (``BatchWriter.replace_relationships``): the new set is
    created under a new version and readers switched to it in one step, then the old one is
    deleted, so readers see one whole set, a re-run leaves the same graph, and the links of
    other assemblies stay. Endpoints must exist (else ``unmatched``). ``atomic=True`` writes
    every method in one transaction (for tables that fit the server's transaction memory) and
    switches them together; otherwise each batch commits alone and each method switches when
    its set is complete. ``writer``: where the rows go instead of ``graph`` (``priorgraph
    build``'s :class:`~priorgraph.kg.bulk.BulkWriter`).
    """
    asm = get_assembly(assembly)
    if writer is None:
        writer = BatchWriter(graph, provenance, progress=progress)
    writer.provenance = provenance
    methods = sorted(links["method"].unique().tolist())

    def run() -> WriteCounts:
        counts = WriteCounts()
        for method, part in links.groupby("method", sort=True):
            counts += writer.replace_relationships(
                "LINKED_TO", link_rows(part), start=("Peak", "id"), end=("Gene", "id"),
                scope={"method": method, "assembly": asm.name},
            )  # fmt: skip
        writer.record_source(kind="links", assembly=asm.name, methods=methods, links=len(links))
        logger.info("LINKED_TO %s on %s: %d links written", ", ".join(methods), asm.name,
                    counts.rows)  # fmt: skip
        return counts

    if atomic:
        with writer.transaction():
            return run()
    return run()


def _opt_int(value: object) -> int | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)


@dataclass
class LinkTable:
    """A validated external link table (read from ``path``) and what was dropped from it."""

    path: str
    links: pd.DataFrame
    zero_scores: int = 0
    missing_peaks: int = 0
    missing_genes: int = 0
    names: GeneNames | None = None  # how the gene names were resolved (check_endpoints)


def read_link_table(
    path: str | Path, assembly: str, method: str, *, scale: bool = False
) -> LinkTable:
    """Read ``peak, gene, score[, sign]`` rows (rules in the module docstring)."""
    path = Path(path)
    asm = get_assembly(assembly)
    if not method or not re.match(r"^[A-Za-z0-9_.\-]+$", method):
        raise UsageError(f"method must be a plain name such as 'cicero', got {method!r}")
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    errors: list[Problem] = []
    rows: list[tuple[str, str, float, int | None]] = []

    def error(lineno: int, problem: str) -> None:
        errors.append(Problem(str(path), lineno, problem))

    with open_text(path, newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        if not {"peak", "gene", "score"} <= set(reader.fieldnames or ()):
            raise LinkFileError(
                path, f"needs a header with columns peak, gene, score[, sign]; "
                f"got {reader.fieldnames}",
            )  # fmt: skip
        has_sign = "sign" in reader.fieldnames
        for lineno, r in enumerate(reader, start=2):
            m = _PEAK_NAME.match((r["peak"] or "").strip())
            if not m:
                error(lineno, f"peak {r['peak']!r} is not chrom:start-end")
                continue
            chrom = asm.normalise(m["chrom"])
            start, end = int(m["start"]), int(m["end"])
            if chrom is None or start >= end:
                error(lineno, f"peak {r['peak']!r}: unknown chromosome or start >= end")
                continue
            gene = (r["gene"] or "").strip()
            try:
                score = float(r["score"])
                sign = int(float(r["sign"])) if has_sign else None
            except (TypeError, ValueError):
                error(lineno, f"score/sign not numeric: {r['score']!r}, {r.get('sign')!r}")
                continue
            if not gene or not math.isfinite(score) or (has_sign and sign not in (-1, 1)):
                error(lineno, "blank gene, non-finite score or sign not in {-1, 1}")
                continue
            rows.append(
                (
                    ids.peak_id(asm.name, chrom, start, end),
                    ids.gene_id(gene, asm.species),
                    score,
                    sign,
                )
            )
    df = pd.DataFrame(rows, columns=["peak_id", "gene_id", "score", "sign"])
    zero = int((df["score"] == 0).sum())
    df = df[df["score"] != 0]
    weight = df["score"].abs()
    if scale and len(df):
        weight = weight / weight.max()
    too_big = df[weight > 1]
    n_errors = len(errors) + len(too_big)
    if len(too_big):
        errors.insert(0, Problem(
            str(path), None,
            f"{len(too_big):,} scores with |score| > 1 (max {weight.max():g}); weights must be in "
            "(0, 1]: pass scale=True (--scale) to divide by the largest |score|",
        ))  # fmt: skip
    if n_errors:
        raise LinkFileError(path, f"{n_errors:,} problem(s), nothing written:", problems=errors)
    sign = df["sign"] if has_sign else np.sign(df["score"]).astype(int)
    links = pd.DataFrame(
        {
            "peak_id": df["peak_id"],
            "gene_id": df["gene_id"],
            "distance": None,
            "weight": weight.astype(float),
            "sign": sign.astype(int),
            "method": method,
        }
    ).drop_duplicates(["peak_id", "gene_id"], keep="last")
    return LinkTable(str(path), links.reset_index(drop=True), zero_scores=zero)


def check_endpoints(
    graph: Graph | BulkGraph,
    table: LinkTable,
    *,
    skip_missing: bool = False,
    resolver: GeneResolver | None = None,
) -> LinkTable:
    """Verify that every peak and gene of the table is in the graph (a database, or a build's
    graph), before writing.

    With ``resolver``, gene names are resolved first (previous symbols, aliases, Ensembl ids:
    ``names`` lists what was renamed). Missing endpoints raise :class:`LinkFileError` with counts
    and examples, or, with ``skip_missing``, drop those links and count them.
    """
    links = table.links
    names = None
    if resolver is not None:
        symbols = [g.split(":", 1)[1] for g in links["gene_id"]]
        names = resolver.names(symbols, what=table.path)
        links = links.assign(
            gene_id=[names.gene_id(s) or g for s, g in zip(symbols, links["gene_id"], strict=True)]
        ).drop_duplicates(["peak_id", "gene_id"], keep="last")
    peak_ids = links["peak_id"].unique().tolist()
    gene_ids = links["gene_id"].unique().tolist()
    peaks = existing_ids(graph, "Peak", peak_ids)
    genes = existing_ids(graph, "Gene", gene_ids)
    no_peak = ~links["peak_id"].isin(peaks)
    no_gene = ~links["gene_id"].isin(genes)
    if (no_peak | no_gene).any() and not skip_missing:
        examples = (
            sorted(set(links.loc[no_peak, "peak_id"]))[:3]
            + sorted(set(links.loc[no_gene, "gene_id"]))[:3]
        )
        raise LinkFileError(
            table.path,
            f"{int(no_peak.sum()):,} links name peaks and {int(no_gene.sum()):,} name genes that "
            f"are not in the graph (e.g. {', '.join(examples)}); ingest them first or pass "
            "skip_missing (--skip-missing); nothing written",
        )
    return LinkTable(
        table.path,
        links[~(no_peak | no_gene)].reset_index(drop=True),
        zero_scores=table.zero_scores,
        missing_peaks=int(no_peak.sum()),
        missing_genes=int(no_gene.sum()),
        names=names,
    )
