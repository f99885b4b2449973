"""Peaks benchmark on the real data: liftOver, window links built + written, guidance export.

Targets (issue 6): all 63,751 PBMC peaks lifted hg38 → hg19 in < 20 s; links for all peaks × all
genes within 150 kb built and written in < 60 s; guidance export < 10 s. Runs against a
throw-away local Neo4j (its own data directory and port), never a user's graph. Prints figures;
never fails on noise.

    .venv/bin/python bench/peaks_bench.py [--heap 2g]
"""

from __future__ import annotations

import argparse
import time

from priorgraph.ingest import genes, liftover, links, peaks, sources
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import apply_schema
from priorgraph.kg.server import temporary_server
from priorgraph.kg.writer import Provenance
from priorgraph.queries import export_guidance


def timed(label: str, fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"{label:<44} {seconds:8.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heap", default="2g", help="heap of the throw-away Neo4j")
    args = parser.parse_args()

    peak_path = sources.fetch("peaks.pbmc10k_multiome")
    peak_set, _ = timed(
        "read + validate peaks", peaks.read_peaks, peak_path, "hg38", unknown_contigs="skip"
    )
    chain, t_chain = timed(
        "load chain hg38ToHg19", liftover.load_chain, sources.fetch("ucsc.chain.hg38_hg19")
    )
    lift, t_lift = timed("liftOver all peaks", liftover.lift_peaks, peak_set, chain, progress=False)
    print(f"  {lift.summary()}")
    n = len(peak_set.df)
    print(f"  {n / t_lift:,.0f} peaks/s; with chain loading {t_chain + t_lift:.1f} s (target < 20)")

    gene_set, _ = timed(
        "read genes (Ensembl 109 BED)",
        genes.read_genes,
        sources.fetch("ensembl.genes.human.109"),
        "hg38",
    )

    with (
        temporary_server(heap=args.heap, pagecache="512m") as server,
        Graph(server.settings()) as graph,
    ):
        apply_schema(graph)
        prov = Provenance("bench", "1")
        timed("write 61k genes", genes.write_genes, graph, gene_set, prov, progress=False)
        timed("write 64k peaks", peaks.write_peaks, graph, peak_set, prov, progress=False)

        def build_and_write():
            peak_df, gene_df = links.graph_features(graph, "hg38")
            built = links.window_links(peak_df, gene_df)
            links.write_links(graph, built, prov, progress=False)
            return built

        built, t_links = timed("links: read + build + write (150 kb)", build_and_write)
        print(f"  {len(built):,} links, {len(built) / t_links:,.0f} links/s (target < 60 s)")
        timed("links: rewrite (idempotent replace)", build_and_write)

        def export():
            tables = export_guidance.fetch_guidance(graph, "hg38")
            return tables, export_guidance.to_heterodata(tables)

        (tables, data), _ = timed("guidance export (HeteroData)", export)
        print(f"  {data.describe()} (target < 10 s)")
        g, _ = timed("GLUE MultiDiGraph", export_guidance.to_glue_graph, tables)
        violations, _ = timed("validate GLUE graph", export_guidance.validate_guidance, g)
        print(
            f"  {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges, "
            f"{len(violations)} violations"
        )


if __name__ == "__main__":
    main()
