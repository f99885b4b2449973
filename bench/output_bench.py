"""What readable tables cost: ``priorgraph.output.print_table`` against a plain rich table.

Renders N query-like rows (an id, a symbol, a sentence of free text, a float, an int, a list of
floats) into a file, as ``priorgraph … --format table > out.txt`` does, and on a terminal of
80 columns (where the rows become blocks), and compares each with the baseline measured in the
same run: a plain ``rich.table.Table`` of the same rows with rich's defaults (what the CLI
printed before: cut ids, 16-digit floats). Median of ``--repeats`` runs, with the spread.

    .venv/bin/python bench/output_bench.py [--rows 5000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from priorgraph.output import print_table


def rows(n: int) -> list[dict]:
    return [
        {
            "id": f"human:ENSG{i:011d}",
            "symbol": f"GENE{i}",
            "description": f"a gene of pathway {i % 97} with a moderately long description",
            "jaccard": 1 / (i + 3),
            "count": i * 7,
            "vector": [i / 7, i / 11, i / 13],
        }
        for i in range(n)
    ]


def baseline(data: list[dict], console: Console) -> None:
    """The table as the CLI printed it before: rich's defaults, every value as str()."""
    table = Table(*data[0])
    for row in data:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)


def seconds(render: Callable[[list[dict], Console], None], data: list[dict], **console) -> float:
    out = io.StringIO()
    start = time.perf_counter()
    render(data, Console(file=out, color_system=None, **console))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = rows(args.rows)

    def new(data: list[dict], console: Console) -> None:
        print_table(data, console=console)

    places = {"file/pipe": {}, "terminal, 80 columns": {"force_terminal": True, "width": 80}}
    for where, console in places.items():
        base = [seconds(baseline, data, **console) for _ in range(args.repeats)]
        ours = [seconds(new, data, **console) for _ in range(args.repeats)]
        ratios = [o / b for o, b in zip(ours, base, strict=True)]
        print(
            f"{where:22} {args.rows:,} rows: print_table {statistics.median(ours):.2f} s "
            f"(spread {min(ours):.2f}–{max(ours):.2f}), plain rich table "
            f"{statistics.median(base):.2f} s ({min(base):.2f}–{max(base):.2f}); ratio "
            f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"
        )


if __name__ == "__main__":
    main()
