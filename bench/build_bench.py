"""Bulk build (``priorgraph build``) against the online writer, in the same run.

``--runs`` times (median and spread printed, with the load average of each run):

* **baseline, the online writer**: ``BatchWriter.replace_relationships`` of ``--online``
  new relationships between ``--nodes`` genes (the fastest online path: CREATE into a new
  version of a set, then the switch), into a throw-away local server;
* **bulk**: the same kind of rows, ``--relationships`` of them, through
  :class:`~priorgraph.kg.bulk.BulkWriter` (the same calls), written as gzipped CSV and loaded
  by Neo4j's batch importer into a new store, which is then checked (schema created, counts per
  label and type). Printed: the importer's own rate (relationships / its import seconds) and
  the whole offline build's (relationships / rows + CSV + import + check).

With ``--human`` (needs ../shared/data), the issue's whole-human build from one plan: the
whole human GO (go-basic 2024-02, is_a; 252,037 gene2go annotations propagated along is_a), its
GEARS GO graph (k = 20), Ensembl 109 gene loci with TSS, the PBMC 10k multiome peak set with its
150 kb window links, and the Norman 2019 Perturb-seq subset, swapped into a throw-away server:
the total time and its parts.

    python bench/build_bench.py [--nodes 100000] [--relationships 2000000] [--online 200000]
                                [--runs 3] [--human]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from write_bench import node_rows, relationship_rows  # the same rows as the writer bench

from priorgraph.ingest.build import BuildPlan, build
from priorgraph.kg.bulk import BulkGraph, BulkWriter
from priorgraph.kg.bulk_import import import_store
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import apply_schema
from priorgraph.kg.server import temporary_server
from priorgraph.kg.writer import BatchWriter, Provenance

GENE = ("Gene", "id")
PROV = Provenance("bench.build", "1")
HUMAN_PLAN = """
[[go]]
obo = "go.basic.2024.isa_only"
annotations = "go.gene2go.human.2024"
kind = "table"
propagate = true
on_error = "skip"
unknown_genes = "warn"

[[go_graph]]
name = "gears"
k = 20

[[genes]]
annotation = "ensembl.genes.human.109"
assembly = "hg38"
tss = "ensembl.tss.human.109"

[[peaks]]
bed = "peaks.pbmc10k_multiome"
assembly = "hg38"
unknown_contigs = "skip"

[[links]]
assembly = "hg38"
window = 150_000

[[perturbseq]]
file = "perturb.norman2019.subset"
dataset = "norman2019"
store = "datasets"
"""


def online(graph: Graph, rows: list[dict], run: int) -> float:
    writer = BatchWriter(graph, PROV, batch_size=20_000, progress=False)
    start = time.perf_counter()
    writer.replace_relationships("COEXPRESSED", rows, start=GENE, end=GENE,
                                 scope={"dataset": "bench", "split": f"run{run}"})  # fmt: skip
    return len(rows) / (time.perf_counter() - start)


def bulk(nodes: list[dict], rows: list[dict], scratch: Path, heap: str) -> dict[str, float]:
    t0 = time.perf_counter()
    graph = BulkGraph()
    writer = BulkWriter(graph, PROV)
    writer.merge_nodes("Gene", nodes)
    writer.replace_relationships("COEXPRESSED", rows, start=GENE, end=GENE,
                                 scope={"dataset": "bench", "split": "run"})  # fmt: skip
    t1 = time.perf_counter()
    files = graph.write(scratch / "csv")
    del graph
    t2 = time.perf_counter()
    result = import_store(files, scratch / "store", heap=heap)
    t3 = time.perf_counter()
    shutil.rmtree(scratch, ignore_errors=True)
    n = len(rows)
    return {
        "rows_s": t1 - t0, "csv_s": t2 - t1, "import_s": result["import_seconds"],
        "check_s": result["check_seconds"], "total_s": t3 - t0,
        "importer_rate": n / result["import_seconds"], "build_rate": n / (t3 - t0),
    }  # fmt: skip


def spread(name: str, values: list[float], unit: str = "/s") -> float:
    median = statistics.median(values)
    runs = ", ".join(f"{v:,.0f}" if unit == "/s" else f"{v:.1f}" for v in values)
    fmt = (lambda v: f"{v:,.0f}") if unit == "/s" else (lambda v: f"{v:.1f}")
    print(f"{name:44} median {fmt(median):>9}{unit}  (runs {runs}; spread "
          f"{fmt(min(values))}–{fmt(max(values))})")  # fmt: skip
    return median


def human(runs: int, scratch: Path, heap: str) -> None:
    plan_path = scratch / "human.toml"
    plan_path.parent.mkdir(parents=True, exist_ok=True)
    plan_path.write_text(HUMAN_PLAN)
    plan = BuildPlan.read(plan_path)
    totals = []
    with temporary_server(heap="1g", pagecache="256m") as server:
        for run in range(runs):
            report, _ = build(plan, scratch / "human", server=server, heap=heap)
            s = report.seconds
            totals.append(s["total"])
            print(f"human run {run + 1}: {sum(report.labels.values()):,} nodes, "
                  f"{report.relationships:,} relationships in {s['total']:.1f} s (rows "
                  f"{s['ingest']:.1f}, CSV {s['csv']:.1f}, import {s['import']:.1f} of which "
                  f"the importer {s['import_tool']:.1f}, swap {s['swap']:.1f}; load average "
                  f"{os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
    shutil.rmtree(scratch / "human", ignore_errors=True)
    spread("whole human (GO, GO graph, loci, peaks, links, Norman), build + swap", totals,
           unit=" s")  # fmt: skip


def synthetic(args: argparse.Namespace, scratch: Path) -> None:
    """The online writer against the bulk build, alternating, ``args.runs`` times."""
    nodes = node_rows(args.nodes)
    online_rates, results = [], []
    with (
        temporary_server(heap="1500m", pagecache="512m") as server,
        Graph(server.settings()) as graph,
    ):
        apply_schema(graph)
        BatchWriter(graph, PROV, progress=False).merge_nodes("Gene", nodes)
        for run in range(args.runs):  # alternate the paths, so both see the same machine
            online_rates.append(online(graph, relationship_rows(args.nodes, args.online, run), run))
            rows = relationship_rows(args.nodes, args.relationships, seed=100 + run)
            results.append(bulk(nodes, rows, scratch / f"run{run}", args.heap))
            del rows
            r = results[-1]
            print(f"run {run + 1}: online {online_rates[-1]:,.0f}/s; bulk importer "
                  f"{r['importer_rate']:,.0f}/s, whole offline build {r['build_rate']:,.0f}/s "
                  f"(rows {r['rows_s']:.1f} s, CSV {r['csv_s']:.1f} s, import {r['import_s']:.1f} "
                  f"s, schema + check {r['check_s']:.1f} s; load average "
                  f"{os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip

    print(f"\n{args.nodes:,} genes; online {args.online:,} and bulk {args.relationships:,} new "
          f"relationships per run, {args.runs} runs, {os.cpu_count()} CPUs:")  # fmt: skip
    base = spread("baseline: online writer (set CREATE)", online_rates)
    imp = spread("bulk: the importer alone", [r["importer_rate"] for r in results])
    whole = spread("bulk: whole offline build (rows→CSV→import→check)",
                   [r["build_rate"] for r in results])  # fmt: skip
    print(f"importer / online: {imp / base:.1f}x; whole offline build / online: "
          f"{whole / base:.1f}x (targets: >= 500,000/s and >= 20x)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=2_000_000)
    parser.add_argument("--online", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--heap", default="1g", help="importer JVM heap")
    parser.add_argument("--human", action="store_true", help="also the real human GO build")
    parser.add_argument("--human-runs", type=int, default=3)
    parser.add_argument("--scratch", type=Path, default=None)
    args = parser.parse_args()
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="priorgraph-build-bench-"))

    if args.runs > 0:
        synthetic(args, scratch)
    if args.human:
        human(args.human_runs, scratch, args.heap)
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
