"""Write-back and per-gene query figures for PREDICTED_EFFECT (issue 4 targets).

Writes N predicted effects (default 2,000,000 = 1,000 perturbations × 2,000 genes) with
``models.writeback.write_run``, then times the per-gene query (``effects_gene``, top 20, one run)
for random genes. Targets: ≥ 50,000 effects/s written; per-gene query p95 ≤ 20 ms.

Baselines measured in the same run, printed as ratios:
* writing: the generic ``BatchWriter.merge_relationships`` path (one MERGE per row) on a sample;
* query: a single indexed node lookup (``perturb_missing_genes`` for one id), the round-trip floor.

Uses a throw-away local Neo4j (own directory and port) unless ``NEO4J_URI`` is set.

    .venv/bin/python bench/effects_bench.py [--perturbations 1000] [--genes 2000] [--queries 200]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from contextlib import ExitStack

import numpy as np

from priorgraph.kg import cypher, ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import apply_schema
from priorgraph.kg.server import temporary_server
from priorgraph.kg.writer import BatchWriter, Provenance
from priorgraph.models.writeback import ModelRun, write_run

SPECIES = "bench"
DATASET = "bench"


def open_graph(stack: ExitStack) -> Graph:
    if os.environ.get("NEO4J_URI"):
        return stack.enter_context(Graph())
    server = stack.enter_context(temporary_server(heap="1g", pagecache="512m"))
    return stack.enter_context(Graph(server.settings()))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--perturbations", type=int, default=1000)
    parser.add_argument("--genes", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--merge-sample", type=int, default=100_000)
    args = parser.parse_args()
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)  # "type not yet used" notes
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(args.genes)]
    conditions = [f"P{i}+ctrl" for i in range(args.perturbations)]

    with ExitStack() as stack:
        graph = open_graph(stack)
        graph.write("MATCH (n) WHERE n.source = 'bench' DETACH DELETE n")
        apply_schema(graph)
        writer = BatchWriter(graph, Provenance("bench", "1"), progress=False)
        gene_rows = [{"id": ids.gene_id(g, SPECIES), "symbol": g} for g in genes]
        writer.merge_nodes("Gene", gene_rows)
        writer.merge_nodes(
            "Perturbation",
            [{"id": ids.perturbation_id(DATASET, c), "dataset": DATASET, "condition": c}
             for c in conditions],
        )  # fmt: skip

        deltas = {c: rng.normal(0, 0.3, len(genes)) for c in conditions}
        n_effects = len(conditions) * len(genes)
        run = ModelRun("bench", {}, DATASET, "none", "bench", id="bench-run")
        start = time.perf_counter()
        written = write_run(graph, run, deltas, genes, species=SPECIES)
        write_s = time.perf_counter() - start
        assert written == n_effects, (written, n_effects)
        rate = n_effects / write_s

        # baseline: generic MERGE per row, on a sample, into another run id
        sample = [
            {"start": ids.perturbation_id(DATASET, conditions[i % len(conditions)]),
             "end": ids.gene_id(genes[i // len(conditions) % len(genes)], SPECIES),
             "run": "bench-merge", "delta": 0.1}
            for i in range(min(args.merge_sample, n_effects))
        ]  # fmt: skip
        start = time.perf_counter()
        writer.merge_relationships(
            "PREDICTED_EFFECT", sample, start=("Perturbation", "id"), end=("Gene", "id"),
            keys=("run",),
        )  # fmt: skip
        merge_rate = len(sample) / (time.perf_counter() - start)

        query = cypher.load("effects_gene")
        lookup = cypher.load("perturb_missing_genes")
        picks = rng.choice(genes, args.queries)
        for g in picks[:10]:  # warm-up: plan cache and page cache
            graph.read(query, {"gene": ids.gene_id(g, SPECIES), "run": run.id, "top": 20,
                               "dataset": None})  # fmt: skip
        timings, floor = [], []
        for g in picks:
            gid = ids.gene_id(g, SPECIES)
            t0 = time.perf_counter()
            rows = graph.read(query, {"gene": gid, "run": run.id, "top": 20, "dataset": None})
            timings.append((time.perf_counter() - t0) * 1000)
            assert len(rows) == 20
            t0 = time.perf_counter()
            graph.read(lookup, {"ids": [gid]})
            floor.append((time.perf_counter() - t0) * 1000)

    p50, p95 = percentile(timings, 50), percentile(timings, 95)
    f50 = statistics.median(floor)
    print(f"\nPREDICTED_EFFECT write: {n_effects:,} effects in {write_s:.1f} s = {rate:,.0f}/s "
          f"(target ≥ 50,000/s: {'met' if rate >= 50_000 else 'NOT met'})")  # fmt: skip
    print(f"  baseline generic MERGE path: {merge_rate:,.0f}/s on {len(sample):,} rows "
          f"-> batched CREATE is {rate / merge_rate:.1f}x")  # fmt: skip
    print(f"per-gene query (top 20 of {len(conditions):,} perturbations, one run), "
          f"{len(timings)} genes: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
          f"(target p95 ≤ 20 ms: {'met' if p95 <= 20 else 'NOT met'})")  # fmt: skip
    print(f"  baseline single-node lookup round trip: p50 {f50:.2f} ms "
          f"-> per-gene query p50 is {p50 / f50:.1f}x the floor")  # fmt: skip


if __name__ == "__main__":
    main()
