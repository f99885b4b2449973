"""Rendering query rows for the terminal: a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "csv", "json")


def _columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return "" if value is None else str(value)


def render(rows: Sequence[dict[str, Any]], fmt: str, console: Console | None = None) -> str | None:
    """Return CSV/JSON text, or print a rich table (returns None) for ``fmt='table'``."""
    if fmt == "json":
        return json.dumps(list(rows), indent=2, default=str)
    columns = _columns(rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
        return buffer.getvalue().rstrip("\n")
    if fmt != "table":
        raise click.BadParameter(f"unknown format {fmt!r}; choose one of {FORMATS}")
    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    (console or Console()).print(table)
    return None


def echo_rows(rows: Sequence[dict[str, Any]], fmt: str) -> None:
    """Print ``rows`` on stdout in ``fmt`` (:func:`render`)."""
    text = render(rows, fmt)
    if text is not None:
        click.echo(text)
