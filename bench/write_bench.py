"""Batched writer vs one MERGE per transaction: relationships per second, and their ratio.

Loads ``--nodes`` Gene nodes and ``--relationships`` random relationships with ``BatchWriter``
(UNWIND batches, MERGE on keys), and in the same run a naive baseline that MERGEs one
relationship per transaction on a sample. Runs against a throw-away local server (own data
directory, free port) unless ``--configured`` uses the Neo4j of ``NEO4J_URI`` / the local server.

    python bench/write_bench.py [--nodes 100000] [--relationships 1000000] [--naive-sample 2000]
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack

import numpy as np

from priorgraph.kg.connection import Graph, resolve_settings
from priorgraph.kg.schema import apply_schema
from priorgraph.kg.server import temporary_server
from priorgraph.kg.writer import BatchWriter, Provenance, relationship_merge_query

GENE = ("Gene", "id")
PROV = Provenance("bench.write", "1")


def node_rows(n: int) -> list[dict]:
    return [{"id": f"bench:G{i}", "symbol": f"G{i}", "species": "bench"} for i in range(n)]


def relationship_rows(n_nodes: int, n_rels: int, seed: int = 0) -> list[dict]:
    """Distinct random (start, end) pairs with a weight, as the writer takes them."""
    rng = np.random.default_rng(seed)
    pairs = np.unique(rng.integers(0, n_nodes, size=(int(n_rels * 1.05), 2)), axis=0)
    pairs = pairs[rng.permutation(len(pairs))[:n_rels]]
    weights = rng.random(len(pairs))
    return [
        {"start": f"bench:G{a}", "end": f"bench:G{b}", "weight": float(w)}
        for (a, b), w in zip(pairs.tolist(), weights.tolist(), strict=True)
    ]


def naive_load(graph: Graph, rows: list[dict]) -> None:
    """The path a first script takes: one MERGE statement, one transaction, per relationship."""
    query = relationship_merge_query("BENCH_NAIVE", GENE, GENE)
    for row in rows:
        payload = [{"start": row["start"], "end": row["end"], "props": {"weight": row["weight"]}}]
        graph.write(query, {**PROV.params(), "rows": payload})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=1_000_000)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--configured", action="store_true", help="Use the configured Neo4j.")
    args = parser.parse_args()

    with ExitStack() as stack:
        if args.configured:
            settings = resolve_settings()
        else:
            server = stack.enter_context(temporary_server(heap="2g", pagecache="1g"))
            settings = server.settings()
        graph = stack.enter_context(Graph(settings))
        apply_schema(graph)

        rels = relationship_rows(args.nodes, args.relationships)
        writer = BatchWriter(graph, PROV, batch_size=args.batch_size)
        t0 = time.perf_counter()
        writer.merge_nodes("Gene", node_rows(args.nodes), total=args.nodes)
        t_nodes = time.perf_counter() - t0
        t0 = time.perf_counter()
        counts = writer.merge_relationships(
            "BENCH_REL", rels, start=GENE, end=GENE, total=len(rels)
        )
        t_rels = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = writer.merge_relationships("BENCH_REL", rels, start=GENE, end=GENE, total=len(rels))
        t_again = time.perf_counter() - t0

        sample = rels[: args.naive_sample]
        t0 = time.perf_counter()
        naive_load(graph, sample)
        t_naive = time.perf_counter() - t0

        batched_rate = len(rels) / t_rels
        naive_rate = len(sample) / t_naive
        report = [
            ("nodes", args.nodes, t_nodes, ""),
            ("relationships", len(rels), t_rels, f"created {counts.relationships_created:,}"),
            ("same load again", len(rels), t_again, f"created {again.relationships_created:,}"),
            ("naive (1 MERGE/tx)", len(sample), t_naive, ""),
        ]
        for what, n, seconds, note in report:
            print(f"{what + ':':21} {n:>10,} in {seconds:6.1f} s ({n / seconds:>9,.0f}/s) {note}")
        print(f"ratio batched/naive:  {batched_rate / naive_rate:10.1f}x")


if __name__ == "__main__":
    main()
