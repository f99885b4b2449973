"""Peaks benchmark on real data: liftOver, peak–gene links built and written, streamed exports.

Issue #13's targets: links for 81k peaks (±150 kb, ~0.9 M links) built and written ≤ 30 s
(build and write reported apart: the build is numpy/bioframe here, the write the current
writer); the GLUE GraphML of that graph ≤ 60 s with a peak memory ≤ 1.5 GB (peak RSS of the
export process). The 63,751 real PBMC peaks are topped up with seeded random 500 bp peaks to
81,000. Each figure is the median of ``--runs`` runs with its spread (min–max), beside a
baseline measured in the same run:

* link build: :func:`links.window_links` vs a plain per-gene ``searchsorted`` loop (the same
  links, checked equal);
* link write: ``write_links`` (the method's set replaced: old links deleted, new ones
  CREATEd; the first run only creates) vs a keyed MERGE per link (the writer's other path), both
  also on a sample;
* GraphML: the streamed writer vs ``networkx.write_graphml`` of the in-memory graph, both on a
  sample of the peaks (networkx on the whole graph takes tens of minutes and gigabytes); the
  streamed export of the whole graph is then timed, with its peak RSS, in a child process.

Runs against a throw-away local Neo4j (its own data directory and port), never a user's graph.
Prints figures; never fails on noise.

    PRIORGRAPH_DATA_DIR=../shared/data .venv/bin/python bench/peaks_bench.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from priorgraph.ingest import genes, liftover, links, peaks, sources
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import apply_schema
from priorgraph.kg.server import temporary_server
from priorgraph.kg.writer import BatchWriter, Provenance
from priorgraph.queries import export_guidance

PROV = Provenance("bench.peaks", "1")
TOTAL_PEAKS = 81_000
CHILD = """
import json, sys, time
from priorgraph.kg.connection import Graph
from priorgraph.core.config import Neo4jSettings
from priorgraph.queries import export_guidance
settings = Neo4jSettings(**json.loads(sys.argv[1]))
start = time.perf_counter()
with Graph(settings) as graph:
    tables = export_guidance.fetch_guidance(graph, "hg38")
fetched = time.perf_counter()
written = export_guidance.write_graphml(tables, sys.argv[2])
done = time.perf_counter()
# VmHWM, not ru_maxrss: the latter keeps the forking parent's RSS across exec
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"fetch": fetched - start, "write": done - fetched, "total": done - start,
                  "edges": written.edges, "peak_rss_mb": hwm / 1024}))
"""


CLI_CHILD = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)  # forked from this small process
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def repeat(runs: int, fn: Callable[[], Any]) -> tuple[list[float], Any]:
    """Seconds of ``runs`` calls of ``fn`` and its last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def show(label: str, times: list[float], extra: str = "") -> float:
    median = statistics.median(times)
    print(
        f"{label:<48} {median:8.2f} s  ({min(times):.2f}–{max(times):.2f}, n={len(times)}) {extra}"
    )
    return median


def topped_up(real: peaks.PeakSet, total: int, seed: int = 0) -> peaks.PeakSet:
    """The real peaks plus seeded random 500 bp peaks on chr1–22/X, ``total`` in all."""
    rng = np.random.default_rng(seed)
    sizes = {c: s for c, s in real.assembly.sizes.items() if c not in ("chrY", "chrM")}
    names = list(sizes)
    weights = np.array([sizes[c] for c in names], dtype=float)
    extra = total - len(real.df)
    chroms = rng.choice(names, size=extra, p=weights / weights.sum())
    starts = (rng.random(extra) * (np.array([sizes[c] for c in chroms]) - 600)).astype(int)
    synthetic = pd.DataFrame({"chrom": chroms, "start": starts, "end": starts + 500})
    df = pd.concat([real.df[["chrom", "start", "end"]], synthetic])
    df = df.drop_duplicates().sort_values(["chrom", "start", "end"]).reset_index(drop=True)
    return peaks.PeakSet(real.assembly, df, real.report)


def baseline_window_links(peak_df: pd.DataFrame, gene_df: pd.DataFrame, window: int) -> set:
    """The same links by a plain loop: per gene, ``searchsorted`` over the chromosome's peaks
    sorted by start, then the GLUE distance on the candidates."""
    regions = links.gene_regions(gene_df, "combined", links.DEFAULT_PROMOTER_LEN)
    out = set()
    by_chrom = {c: p.sort_values("start") for c, p in peak_df.groupby("chrom")}
    longest = int((peak_df["end"] - peak_df["start"]).max())
    for chrom, rs, re_, gene in regions[["chrom", "start", "end", "gene_id"]].itertuples(
        index=False
    ):
        p = by_chrom.get(chrom)
        if p is None:
            continue
        starts = p["start"].to_numpy()
        lo = np.searchsorted(starts, rs - window - longest)
        hi = np.searchsorted(starts, re_ + window, side="right")
        ps, pe = starts[lo:hi], p["end"].to_numpy()[lo:hi]
        d = np.where((ps < re_) & (rs < pe), 0, np.maximum(ps - re_, rs - pe) + 1)
        out.update((pid, gene) for pid in p["id"].to_numpy()[lo:hi][d <= window])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heap", default="2g", help="heap of the throw-away Neo4j")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--merge-sample", type=int, default=50_000)
    parser.add_argument("--graphml-sample", type=float, default=0.05, help="share of peaks")
    args = parser.parse_args()
    runs = args.runs

    peak_set = peaks.read_peaks(
        sources.fetch("peaks.pbmc10k_multiome"), "hg38", unknown_contigs="skip"
    )
    chain = liftover.load_chain(sources.fetch("ucsc.chain.hg38_hg19"))
    t, lift = repeat(runs, lambda: liftover.lift_peaks(peak_set, chain, progress=False))
    show("liftOver 63,723 PBMC peaks hg38 -> hg19", t, lift.summary())

    gene_set = genes.read_genes(sources.fetch("ensembl.genes.human.109"), "hg38")
    all_peaks = topped_up(peak_set, TOTAL_PEAKS)
    print(f"peaks: {len(peak_set.df):,} real + {len(all_peaks.df) - len(peak_set.df):,} "
          f"synthetic = {len(all_peaks.df):,}")  # fmt: skip

    with (
        temporary_server(heap=args.heap, pagecache="512m") as server,
        Graph(server.settings()) as graph,
    ):
        apply_schema(graph)
        genes.write_genes(graph, gene_set, PROV, progress=False)
        peaks.write_peaks(graph, all_peaks, PROV, progress=False)
        peak_df, gene_df = links.graph_features(graph, "hg38")

        t_build, built = repeat(runs, lambda: links.window_links(peak_df, gene_df))
        t_base, reference = repeat(
            runs, lambda: baseline_window_links(peak_df, gene_df, links.DEFAULT_WINDOW)
        )
        same = reference == set(zip(built["peak_id"], built["gene_id"], strict=True))
        build = show(f"links: build {len(built):,} (window_links)", t_build)
        base = show("  baseline: per-gene searchsorted loop", t_base,
                    f"same links: {same}; ratio {base_ratio(t_base, t_build)}")  # fmt: skip

        t_write, _ = repeat(runs, lambda: links.write_links(graph, built, PROV, assembly="hg38",
                                                          progress=False))  # fmt: skip
        write = show("links: write (replace set, current writer)", t_write,
                     f"{len(built) / statistics.median(t_write):,.0f} links/s")  # fmt: skip
        print(f"links: build + write {build + write:.1f} s (target <= 30 s; build "
              f"{build:.2f} s, write {write:.1f} s; build {base / build:.1f}x the baseline's "
              "speed)")  # fmt: skip

        names = export_guidance.fetch_guidance(graph, "hg38").peaks["name"]
        chosen = names.sample(frac=args.graphml_sample, random_state=0).tolist()
        small = export_guidance.fetch_guidance(
            graph, "hg38", features=chosen + gene_df["symbol"].tolist()
        )
        with tempfile.TemporaryDirectory() as tmp:
            t_stream, _ = repeat(runs, lambda: export_guidance.write_graphml(
                small, Path(tmp) / "s.graphml.gz"))  # fmt: skip
            t_nx, _ = repeat(runs, lambda: nx.write_graphml(
                export_guidance.to_glue_graph(small), Path(tmp) / "n.graphml.gz"))  # fmt: skip
            stream = show(f"GraphML sample ({len(small.edges):,} links): streamed", t_stream)
            show("  baseline: networkx (graph + write_graphml)", t_nx,
                 f"ratio {statistics.median(t_nx) / stream:.1f}x")  # fmt: skip
            settings = server.settings()
            child = json.dumps({"uri": settings.uri, "user": settings.user,
                                "password": settings.password, "database": settings.database,
                                "local": False})  # fmt: skip
            figures = []
            for _ in range(runs):
                out = subprocess.run([sys.executable, "-c", CHILD, child, f"{tmp}/g.graphml.gz"],
                                     check=True, capture_output=True, text=True)  # fmt: skip
                figures.append(json.loads(out.stdout.strip().splitlines()[-1]))
            total = show(f"GLUE GraphML of all {figures[0]['edges']:,} edges (child process)",
                         [f["total"] for f in figures],
                         f"fetch {statistics.median([f['fetch'] for f in figures]):.1f} s + write "
                         f"{statistics.median([f['write'] for f in figures]):.1f} s")  # fmt: skip
            rss = [f["peak_rss_mb"] for f in figures]
            print(f"  peak RSS {statistics.median(rss):,.0f} MB ({min(rss):,.0f}–{max(rss):,.0f}); "
                  f"targets <= 60 s ({total:.1f} s), <= 1,536 MB")  # fmt: skip
            env = {**os.environ, "NEO4J_URI": settings.uri, "NEO4J_USER": settings.user,
                   "NEO4J_PASSWORD": settings.password or ""}  # fmt: skip
            command = [str(Path(sys.executable).with_name("priorgraph")), "guidance", "export",
                       "-a", "hg38", "--out", f"{tmp}/cli"]  # fmt: skip
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", CLI_CHILD, *command], env=env, check=True,
                                 capture_output=True, text=True)  # fmt: skip
            print(f"`priorgraph guidance export` (.pt + GraphML): {time.perf_counter() - start:.1f}"
                  f" s, peak RSS {float(out.stdout.strip().splitlines()[-1]):,.0f} MB (one run; "
                  "torch and PyG alone take ~880 MB)")  # fmt: skip

        # last: the sample sets below would otherwise be part of the exports above
        sample = built.iloc[: args.merge_sample].assign(method="bench_sample")
        rows = links.link_rows(sample)
        writer = BatchWriter(graph, PROV, progress=False)
        fresh = iter(range(runs))

        def merge() -> None:  # a new relationship type each run: every run creates its links
            writer.merge_relationships(f"BENCH_LINK_{next(fresh)}", rows, start=("Peak", "id"),
                                       end=("Gene", "id"))  # fmt: skip

        t_sample, _ = repeat(runs, lambda: links.write_links(graph, sample, PROV, assembly="hg38",
                                                           progress=False))  # fmt: skip
        t_merge, _ = repeat(runs, merge)
        show(f"links: write_links on a {len(rows):,}-link sample", t_sample,
             f"{len(rows) / statistics.median(t_sample):,.0f} links/s")  # fmt: skip
        show(f"  baseline: keyed MERGE of {len(rows):,} new links", t_merge,
             f"{len(rows) / statistics.median(t_merge):,.0f} links/s")  # fmt: skip


def base_ratio(baseline: list[float], ours: list[float]) -> str:
    return f"{statistics.median(baseline) / statistics.median(ours):.1f}x"


if __name__ == "__main__":
    main()
