"""What Neo4j Browser and the read-only check cost the local server.

* start: a throw-away server started with and without the Browser (``temporary_server``:
  first start, so the password is set with Bolt closed first), alternately, ``--starts`` times
  each; the JVM's resident memory once Bolt answers, and with the Browser after its page and
  scripts were fetched. Baseline: the server without the Browser.
* reads: one indexed lookup through ``Graph.read`` — the same text again (checked once, then
  remembered) and a new text every time (EXPLAIN before each run) — against the driver's own
  auto-commit read of the same query in a read-access session (baseline, no check).

Medians of the runs with their spread (min–max); ratios against the same-run baseline.

    .venv/bin/python bench/server_bench.py [--starts 3] [--reads 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
import urllib.request
from pathlib import Path

from neo4j import READ_ACCESS

from priorgraph.kg.connection import Graph
from priorgraph.kg.server import LocalServer, temporary_server

LOOKUP = "MATCH (g:Gene {id: $id}) RETURN g.symbol AS symbol"


def rss_mb(server: LocalServer) -> float:
    pid = server.status()["pid"]
    kb = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return int(kb.group(1)) / 1024 if kb else float("nan")


def fetch_browser(server: LocalServer) -> int:
    """GET the Browser's page and every script and stylesheet it names; returns bytes read."""
    base = f"http://127.0.0.1:{server.http_port}/browser/"
    page = urllib.request.urlopen(base).read()
    assets = set(re.findall(rb'(?:src|href)="([^"]+\.(?:js|css))"', page))
    return len(page) + sum(len(urllib.request.urlopen(base + a.decode()).read()) for a in assets)


def spread(values: list[float], unit: str, digits: int = 1) -> str:
    return (f"{statistics.median(values):.{digits}f} {unit} "
            f"({min(values):.{digits}f}–{max(values):.{digits}f})")  # fmt: skip


def bench_starts(starts: int) -> None:
    times: dict[bool, list[float]] = {False: [], True: []}
    memory: dict[str, list[float]] = {"without": [], "with": [], "with, page fetched": []}
    for n in range(starts):
        for browser in (n % 2 == 1, n % 2 == 0):  # alternate which goes first
            begin = time.perf_counter()
            with temporary_server(heap="1g", pagecache="256m", browser=browser) as server:
                times[browser].append(time.perf_counter() - begin)
                time.sleep(2)
                memory["with" if browser else "without"].append(rss_mb(server))
                if browser:
                    fetch_browser(server)
                    time.sleep(1)
                    memory["with, page fetched"].append(rss_mb(server))
    base = statistics.median(times[False])
    print(f"start without Browser: {spread(times[False], 's')}")
    print(f"start with Browser:    {spread(times[True], 's')}  "
          f"ratio {statistics.median(times[True]) / base:.2f}×")  # fmt: skip
    for name, values in memory.items():
        extra = statistics.median(values) - statistics.median(memory["without"])
        print(f"JVM resident memory, {name} Browser: {spread(values, 'MB', 0)}  (+{extra:.0f} MB)")


def bench_reads(reads: int, rounds: int) -> None:
    with temporary_server(heap="1g", pagecache="256m") as server, Graph(server.settings()) as graph:
        graph.write("UNWIND range(0, 999) AS i CREATE (:Gene {id: 'g' + i, symbol: 'S' + i})")
        graph.write("CREATE INDEX bench_gene IF NOT EXISTS FOR (g:Gene) ON (g.id)")
        graph.write("CALL db.awaitIndexes(60)")

        def driver_read(text: str, params: dict) -> None:
            with graph.driver.session(database="neo4j", default_access_mode=READ_ACCESS) as s:
                s.run(text, params).data()

        ways = {
            "same text, driver (baseline)": lambda text, p: driver_read(LOOKUP, p),
            "same text, Graph.read (checked once)": lambda text, p: graph.read(LOOKUP, p),
            "new text, driver (baseline)": driver_read,
            "new text, Graph.read (checked each)": graph.read,
        }
        ms: dict[str, list[float]] = {name: [] for name in ways}
        for r in range(rounds + 1):  # round 0 warms the JVM up and is not counted
            one: dict[str, list[float]] = {name: [] for name in ways}
            for i in range(reads):
                params = {"id": f"g{i % 1000}"}
                for k, (name, read) in enumerate(ways.items()):
                    text = f"{LOOKUP}, {i} AS r{r}_{i}_{k}"  # new to the server's plan cache too
                    begin = time.perf_counter()
                    read(text, params)
                    one[name].append(time.perf_counter() - begin)
            if r:
                for name, values in one.items():
                    ms[name].append(1000 * statistics.median(values))
        for name, values in ms.items():
            base = statistics.median(ms[name.split(",")[0] + ", driver (baseline)"])
            print(f"indexed lookup, {name}: median {spread(values, 'ms', 2)} per read  "
                  f"ratio {statistics.median(values) / base:.2f}×")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bench_reads(args.reads, args.rounds)
    bench_starts(args.starts)


if __name__ == "__main__":
    main()
