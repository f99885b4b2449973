"""Online writer: new relationships per second, the versioned CREATE path against the MERGE path.

Loads ``--nodes`` Gene nodes, then, ``--runs`` times (median and spread printed):

* **baseline, the old path**: ``BatchWriter.merge_relationships`` of ``--relationships`` new
  relationships (``UNWIND`` + ``MATCH`` both ends + ``MERGE``, every one new);
* **the set path**: ``BatchWriter.replace_relationships`` of the same rows as a new version of a
  set (``CREATE`` into a fresh version key, then the switch and the retire of the old version);
* the same set load again (its version is current: nothing is written).

Each figure comes with the CPU seconds the server and this client spent on it (the machine is
shared and noisy: CPU time is steadier than wall time), and a naive one-MERGE-per-transaction
sample gives the ratio of the first version of this benchmark. Runs against a throw-away local
server (own data directory, free port) unless ``--configured`` uses the configured Neo4j.

    python bench/write_bench.py [--nodes 100000] [--relationships 500000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np

from priorgraph.kg.connection import Graph, resolve_settings
from priorgraph.kg.schema import apply_schema
from priorgraph.kg.server import temporary_server
from priorgraph.kg.writer import BatchWriter, Provenance, relationship_merge_query

GENE = ("Gene", "id")
PROV = Provenance("bench.write", "1")


def node_rows(n: int) -> list[dict]:
    return [{"id": f"bench:G{i}", "symbol": f"G{i}", "species": "bench"} for i in range(n)]


def relationship_rows(n_nodes: int, n_rels: int, seed: int) -> list[dict]:
    """Distinct random (start, end) pairs with a weight and a rank, as the writer takes them."""
    rng = np.random.default_rng(seed)
    pairs = np.unique(rng.integers(0, n_nodes, size=(int(n_rels * 1.05), 2)), axis=0)
    pairs = pairs[rng.permutation(len(pairs))[:n_rels]]
    weights = rng.random(len(pairs))
    return [
        {"start": f"bench:G{a}", "end": f"bench:G{b}", "rho": float(w), "rank": 1}
        for (a, b), w in zip(pairs.tolist(), weights.tolist(), strict=True)
    ]


def server_cpu(pid: int | None) -> float:
    """User + system CPU seconds of the server process so far (0 when it is not ours)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Measure:
    rows: int
    wall: float
    server: float
    client: float

    @property
    def rate(self) -> float:
        return self.rows / self.wall


def measure(pid: int | None, rows: int, work: Callable[[], object]) -> Measure:
    wall, server, client = time.perf_counter(), server_cpu(pid), time.process_time()
    work()
    return Measure(rows, time.perf_counter() - wall, server_cpu(pid) - server,
                   time.process_time() - client)  # fmt: skip


def naive_load(graph: Graph, rows: list[dict]) -> None:
    """The path a first script takes: one MERGE statement, one transaction, per relationship."""
    query = relationship_merge_query("BENCH_NAIVE", GENE, GENE)
    for row in rows:
        payload = [{"start": row["start"], "end": row["end"], "props": {"rho": row["rho"]}}]
        graph.write(query, {**PROV.params(), "rows": payload})


def summary(name: str, measures: list[Measure]) -> float:
    rates = [m.rate for m in measures]
    median = statistics.median(rates)
    server = statistics.median(m.server for m in measures)
    client = statistics.median(m.client for m in measures)
    per_cpu = measures[0].rows / server if server else float("nan")
    print(f"{name:34} median {median:9,.0f}/s  (runs {', '.join(f'{r:,.0f}' for r in rates)}; "
          f"spread {min(rates):,.0f}–{max(rates):,.0f})  server CPU {server:5.1f} s "
          f"= {per_cpu:,.0f} rels per CPU-s, client CPU {client:4.1f} s")  # fmt: skip
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--configured", action="store_true", help="Use the configured Neo4j.")
    args = parser.parse_args()

    with ExitStack() as stack:
        if args.configured:
            settings, pid = resolve_settings(), None
        else:
            server = stack.enter_context(temporary_server(heap="2g", pagecache="1g"))
            settings, pid = server.settings(), int(server.status()["pid"])
        graph = stack.enter_context(Graph(settings))
        apply_schema(graph)
        writer = BatchWriter(graph, PROV, batch_size=args.batch_size, progress=False)
        writer.merge_nodes("Gene", node_rows(args.nodes), total=args.nodes)
        n = args.relationships
        merged, created, again = [], [], []
        for run in range(args.runs):  # alternate the paths, so both see the same machine
            rows = relationship_rows(args.nodes, n, seed=run)
            scope = {"dataset": "bench", "split": f"run{run}"}
            merged.append(measure(pid, n, lambda rows=rows, run=run: writer.merge_relationships(
                f"BENCH_MERGE_{run}", rows, start=GENE, end=GENE, total=n)))  # fmt: skip
            created.append(measure(pid, n, lambda rows=rows, scope=scope: (
                writer.replace_relationships("COEXPRESSED", rows, start=GENE, end=GENE,
                                             scope=scope))))  # fmt: skip
            again.append(measure(pid, n, lambda rows=rows, scope=scope: (
                writer.replace_relationships("COEXPRESSED", rows, start=GENE, end=GENE,
                                             scope=scope))))  # fmt: skip
            print(f"run {run + 1}: MERGE {merged[-1].rate:,.0f}/s, set CREATE "
                  f"{created[-1].rate:,.0f}/s, again {again[-1].rate:,.0f}/s "
                  f"(load average {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
        sample = relationship_rows(args.nodes, args.naive_sample, seed=99)
        naive = measure(pid, len(sample), lambda: naive_load(graph, sample))

    print(f"\n{n:,} new relationships between {args.nodes:,} nodes, {args.runs} runs, "
          f"batches of {args.batch_size:,}:")  # fmt: skip
    old = summary("baseline: MERGE (merge_relationships)", merged)
    new = summary("set: CREATE a new version + switch", created)
    summary("the same set load again (no write)", again)
    summary("naive: one MERGE per transaction", [naive])
    print(
        f"set path / MERGE path: {new / old:.2f}x; set path / naive: {new / naive.rate:.0f}x; "
        f"target >= 50,000 new relationships/s: {'met' if new >= 50_000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
