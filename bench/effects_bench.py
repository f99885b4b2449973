"""Genome-wide write-back and per-gene effects: a simulated screen, its same-run baselines.

A simulated screen of ``--perturbations`` × ``--genes`` predicted deltas (10,000 × 8,000 = 80
million by default; N(0, 0.3) noise and a strong effect of each perturbation on a few genes) is
written back ``--runs`` times with ``models.writeback.write_run``: the full matrix (with a
predictive sd) to a zarr folder, the strongest effects to the graph. Then, for random genes:

* ``effects_gene`` from the graph (top 20 of one run), p50 / p95;
* every perturbation's value from the run's matrix (``gene_effects_all``), p50 / p95.

Targets (issue 13): write-back ≤ 60 s; per-gene p95 ≤ 20 ms from the graph, ≤ 100 ms from the
matrix. Baselines measured in the same run, printed as ratios:

* write-back: the old path, every effect as a relationship, on a sample of perturbations,
  extrapolated to the whole screen;
* graph query: a single indexed node lookup (``perturb_missing_genes`` for one id);

Queries run in ``--runs`` rounds of ``--queries`` random genes; a target is judged on the median
of the rounds' p95.
* matrix query: reading the whole matrix to take one gene's column.

Uses a throw-away local Neo4j (own directory and port) unless ``NEO4J_URI`` is set.

    .venv/bin/python bench/effects_bench.py [--perturbations 10000] [--genes 8000] [--runs 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import zarr

from priorgraph.kg import cypher, ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import apply_schema
from priorgraph.kg.server import temporary_server
from priorgraph.kg.writer import BatchWriter, Provenance
from priorgraph.models.effect_selection import EffectSelection
from priorgraph.models.writeback import ModelRun, write_run
from priorgraph.queries.effects import gene_effects_all, run_matrices

SPECIES = "bench"
DATASET = "bench"


def open_graph(stack: ExitStack) -> Graph:
    if os.environ.get("NEO4J_URI"):
        return stack.enter_context(Graph())
    server = stack.enter_context(temporary_server(heap="2g", pagecache="1g"))
    return stack.enter_context(Graph(server.settings()))


def screen(n_perts: int, n_genes: int, seed: int) -> tuple[dict, dict]:
    """Deltas and sds per condition: noise, and each perturbation moves 5 genes strongly."""
    rng = np.random.default_rng(seed)
    delta = rng.normal(0, 0.3, (n_perts, n_genes)).astype(np.float32)
    hits = rng.integers(0, n_genes, (n_perts, 5))
    delta[np.arange(n_perts)[:, None], hits] += rng.choice([-2.0, 2.0], (n_perts, 5))
    sd = np.abs(rng.normal(0.2, 0.05, (n_perts, n_genes))).astype(np.float32)
    names = [f"P{i}+ctrl" for i in range(n_perts)]
    return dict(zip(names, delta, strict=True)), dict(zip(names, sd, strict=True))


def percentiles(values: list[float]) -> str:
    return f"p50 {np.percentile(values, 50):.1f} ms, p95 {np.percentile(values, 95):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--perturbations", type=int, default=10_000)
    parser.add_argument("--genes", type=int, default=8_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-perturbations", type=int, default=50)
    args = parser.parse_args()
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(args.genes)]
    n_values = args.perturbations * args.genes

    with ExitStack() as stack:
        graph = open_graph(stack)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="effects-bench-")))
        apply_schema(graph)
        writer = BatchWriter(graph, Provenance("bench", "1"), progress=False)
        writer.merge_nodes("Gene", [{"id": ids.gene_id(g, SPECIES), "symbol": g} for g in genes])
        deltas, sds = screen(args.perturbations, args.genes, seed=0)
        writer.merge_nodes(
            "Perturbation",
            [{"id": ids.perturbation_id(DATASET, c), "dataset": DATASET, "condition": c}
             for c in deltas],
        )  # fmt: skip

        seconds, kept = [], 0
        for run_no in range(args.runs):
            run = ModelRun("bench", {"run": run_no}, DATASET, "none", "bench", id=f"run{run_no}")
            shifted = {c: d + np.float32(0.01 * run_no) for c, d in deltas.items()}
            start = time.perf_counter()
            kept = write_run(graph, run, shifted, genes, directory=folder / run.id, sd=sds,
                             species=SPECIES, progress=False)  # fmt: skip
            seconds.append(time.perf_counter() - start)
            print(f"write-back {run_no + 1}: {seconds[-1]:.1f} s, {kept:,} effects in the graph "
                  f"(load average {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip

        # baseline: every effect a relationship (the old write-back), on a sample
        sample = dict(list(deltas.items())[: args.baseline_perturbations])
        everything = EffectSelection(args.genes, top_per_gene=0, threshold=None)
        base = ModelRun("bench", {"all": True}, DATASET, "none", "bench", id="every-effect")
        start = time.perf_counter()
        n_all = write_run(graph, base, sample, genes, directory=folder / base.id,
                          species=SPECIES, selection=everything, progress=False)  # fmt: skip
        all_rate = n_all / (time.perf_counter() - start)

        query, lookup = cypher.load("effects_gene"), cypher.load("perturb_missing_genes")
        params = {"run": "run0", "top": 20, "dataset": None}
        for gene in genes[:10]:  # warm-up: plan cache, page cache, file cache
            graph.read(query, {**params, "gene": ids.gene_id(gene, SPECIES)})
            gene_effects_all(graph, ids.gene_id(gene, SPECIES), run="run0")
        rounds = []  # per round: (from graph, round trip floor, from matrix) in ms
        for round_no in range(args.runs):
            picks = [ids.gene_id(g, SPECIES) for g in rng.choice(genes, args.queries)]
            from_graph, floor, from_matrix = [], [], []
            for gene in picks:
                t0 = time.perf_counter()
                rows = graph.read(query, {**params, "gene": gene})
                from_graph.append((time.perf_counter() - t0) * 1000)
                assert len(rows) == 20 and rows[0]["run"] == "run0", rows[:1]
                t0 = time.perf_counter()
                graph.read(lookup, {"ids": [gene]})
                floor.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                values = gene_effects_all(graph, gene, run="run0")
                from_matrix.append((time.perf_counter() - t0) * 1000)
                assert len(values) == args.perturbations and values[0]["sd"] is not None
            rounds.append((from_graph, floor, from_matrix))
            print(f"query round {round_no + 1}: graph {percentiles(from_graph)}; matrix "
                  f"{percentiles(from_matrix)} (load average {os.getloadavg()[0]:.1f})",
                  flush=True)  # fmt: skip
        (_, matrix), *_ = run_matrices(graph, run="run0")
        whole = []
        for gene in picks[:3]:  # baseline: read the whole matrix for one gene's column
            t0 = time.perf_counter()
            column = zarr.open_group(str(matrix.path), mode="r")["delta"][:][
                :, matrix.genes.index(gene)
            ]
            whole.append((time.perf_counter() - t0) * 1000)
            assert column.shape == (args.perturbations,)

    median = statistics.median(seconds)
    print(f"\nsimulated screen: {args.perturbations:,} perturbations × {args.genes:,} genes = "
          f"{n_values:,} predicted values, {args.runs} write-backs")  # fmt: skip
    print(f"write-back (matrix file + {kept:,} effects in the graph + switch): median "
          f"{median:.1f} s (runs {', '.join(f'{s:.1f}' for s in seconds)}) "
          f"(target ≤ 60 s: {'met' if median <= 60 else 'NOT met'})")  # fmt: skip
    print(f"  baseline, every effect a relationship: {all_rate:,.0f} effects/s on {n_all:,} "
          f"-> {n_values / all_rate / 3600:.1f} h for the screen, "
          f"{n_values / all_rate / median:,.0f}x the write-back")  # fmt: skip
    graph_p95 = rounds_percentile(rounds, 0, 95)
    print(f"per-gene effects from the graph (top 20 of one run), {args.queries} genes a round: "
          f"p95 median {graph_p95:.1f} ms over {len(rounds)} rounds (target p95 ≤ 20 ms: "
          f"{'met' if graph_p95 <= 20 else 'NOT met'})")  # fmt: skip
    floor_p50, graph_p50 = rounds_percentile(rounds, 1, 50), rounds_percentile(rounds, 0, 50)
    floor_p95 = rounds_percentile(rounds, 1, 95)
    print(f"  baseline single-node lookup round trip: p50 {floor_p50:.1f} ms, p95 median "
          f"{floor_p95:.1f} ms -> {graph_p50 / floor_p50:.1f}x at p50")  # fmt: skip
    matrix_p95 = rounds_percentile(rounds, 2, 95)
    print(f"per-gene, all {args.perturbations:,} values from the matrix: p95 median "
          f"{matrix_p95:.1f} ms (target p95 ≤ 100 ms: "
          f"{'met' if matrix_p95 <= 100 else 'NOT met'})")  # fmt: skip
    matrix_p50 = rounds_percentile(rounds, 2, 50)
    print(
        f"  baseline whole-matrix read for one column: median {statistics.median(whole):.0f} ms"
        f" -> {statistics.median(whole) / matrix_p50:.1f}x the per-gene read"
    )


def rounds_percentile(rounds: list[tuple[list[float], ...]], part: int, q: float) -> float:
    """The median over rounds of each round's ``q``-th percentile of ``part`` (the rounds'
    own figures are printed as they run)."""
    return statistics.median(float(np.percentile(r[part], q)) for r in rounds)


if __name__ == "__main__":
    main()
