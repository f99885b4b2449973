"""Rendering query rows for the terminal: a table, CSV or JSON.

Tables are for reading: numbers are rounded to 3 significant digits (integers stay whole), an
empty result says ``0 rows``, and nothing is ever cut. A column whose cells are single words
(ids, numbers, names, checksums) keeps its full width; a column of free text wraps between
words, never inside one. When the output is a file or a pipe, the table is as wide as its
widest row up to 160 columns, whatever the pipe's width (rich would assume 80 and cut), and
wider when its words need it; on a terminal too narrow for them, each row is printed as a
block of ``column  value`` lines (psql's expanded display). CSV and JSON keep full precision.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

import click
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

FORMATS = ("table", "csv", "json")
EMPTY = "0 rows"
SIGNIFICANT = 3  # significant digits of a float in a table
PIPE_WIDTH = 160  # a table written to a file or pipe is this wide at most, unless ids need more
TEXT_MIN_WIDTH = 24  # a free-text column is never narrower (its long words fold, never cut)
_CELL_SPACE = 3  # per column: one border and a space of padding either side


def columns_of(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The column names: ``rows.columns`` when the rows carry them (query results do, even
    empty ones), else every key in order of first appearance."""
    known = getattr(rows, "columns", None)
    if known is not None:
        return list(known)
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def rounded(value: float, digits: int = SIGNIFICANT) -> str:
    """``value`` to ``digits`` significant digits, written as people read numbers:
    ``0.123``, ``1230`` (not ``1.23e+03``), ``1.5e-07`` for the very small."""
    if not math.isfinite(value) or value == 0:
        return str(value) if value else "0"
    exponent = math.floor(math.log10(abs(value)))
    if exponent >= digits - 1:  # a whole number once rounded: no exponent, no decimals
        return f"{round(value, digits - 1 - exponent):.0f}"
    return f"{value:.{digits}g}"


def _table_value(value: Any) -> Any:
    """``value`` with every float rounded for a table (inside lists and maps too)."""
    if isinstance(value, float):
        return rounded(value)
    if isinstance(value, (list, tuple)):
        return [_table_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _table_value(v) for k, v in value.items()}
    return value


def _cell(value: Any, *, table: bool = False) -> str:
    """The text of one cell: JSON for lists and maps, nothing for null; in a table, floats
    rounded (:func:`rounded`), in CSV at full precision."""
    if table:
        value = _table_value(value)
        if isinstance(value, list):
            return "[" + ", ".join(_cell(v) for v in value) + "]"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return "" if value is None else str(value)


def _table(columns: list[str], cells: list[list[str]]) -> tuple[Table, int]:
    """The rich table, and the narrowest width at which it cuts no word."""
    table = Table(show_lines=False)
    needed = 1
    for i, name in enumerate(columns):
        texts = [row[i] for row in cells]
        words = not any(any(ch.isspace() for ch in text) for text in texts)
        widest = max((len(text) for text in texts), default=0)
        if words:  # ids, numbers, names, checksums: never broken, never cut
            width = max(widest, len(name))
            table.add_column(name, no_wrap=True, min_width=width)
        else:  # free text: wraps at spaces, never inside a word (a URL, a checksum)
            longest = max((len(word) for text in texts for word in text.split()), default=0)
            width = max(len(name), min(widest, TEXT_MIN_WIDTH), longest)
            table.add_column(name, overflow="fold", min_width=width)
        needed += width + _CELL_SPACE
    for row in cells:
        table.add_row(*row)
    return table, needed


def _print_records(console: Console, columns: list[str], cells: list[list[str]]) -> None:
    """One block per row, ``column  value`` lines (psql's expanded display): for a terminal
    too narrow for the table."""
    for number, row in enumerate(cells, 1):
        console.rule(f"row {number}", align="left", characters="─")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for name, text in zip(columns, row, strict=True):
            grid.add_row(name, text)
        console.print(grid)


def print_table(
    rows: Sequence[dict[str, Any]], *, columns: Sequence[str] | None = None,
    console: Console | None = None,
) -> None:  # fmt: skip
    """Print ``rows`` as a table on ``console`` (default: stdout); ``0 rows`` when empty.

    To a file or pipe the table is as wide as its widest row up to :data:`PIPE_WIDTH`
    columns (free text wraps beyond), and wider when its single-word columns need it. On a
    terminal it fits the terminal, free text wrapping; when even that would cut an id or a
    number, each row is printed as a block of ``column  value`` lines instead.
    """
    console = console or Console()
    names = list(columns) if columns is not None else columns_of(rows)
    if not rows:
        console.print(EMPTY, markup=False, highlight=False)
        return
    cells = [[_cell(row.get(c), table=True) for c in names] for row in rows]
    table, needed = _table(names, cells)
    if console.is_terminal:
        if needed > console.width:
            _print_records(console, names, cells)
        else:
            console.print(table)
        return
    wide = console.options.update_width(10**6)
    natural = Measurement.get(console, wide, table).maximum
    console.width = max(needed, min(natural, PIPE_WIDTH))
    console.print(table, crop=False)


def render(rows: Sequence[dict[str, Any]], fmt: str, console: Console | None = None) -> str | None:
    """Return CSV/JSON text, or print a table (:func:`print_table`; returns None) for
    ``fmt='table'``. CSV has a header even for no rows when the rows carry their columns."""
    if fmt == "json":
        return json.dumps(list(rows), indent=2, default=str)
    columns = columns_of(rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if columns:
            writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
        return buffer.getvalue().rstrip("\n")
    if fmt != "table":
        raise click.BadParameter(f"unknown format {fmt!r}; choose one of {FORMATS}")
    print_table(rows, columns=columns, console=console)
    return None


def echo_rows(rows: Sequence[dict[str, Any]], fmt: str) -> None:
    """Print ``rows`` on stdout in ``fmt`` (:func:`render`)."""
    text = render(rows, fmt)
    if text is not None:
        click.echo(text)
