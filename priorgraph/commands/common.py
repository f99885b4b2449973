"""Shared CLI plumbing: opening the graph and turning known failures into clean exits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
from neo4j.exceptions import ClientError, Neo4jError

from priorgraph.ingest.sources import SourceError
from priorgraph.kg.connection import Graph, GraphConnectionError
from priorgraph.kg.server import ServerError

KNOWN_ERRORS = (ServerError, GraphConnectionError, SourceError, ValueError, FileNotFoundError)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Report expected failures as one clear message and exit code 1 (no traceback)."""
    try:
        yield
    except KNOWN_ERRORS as err:
        raise click.ClickException(str(err)) from err
    except ClientError as err:
        hint = " (the query writes: pass --write)" if err.code.endswith("AccessMode") else ""
        raise click.ClickException(f"{err.code}: {err.message}{hint}") from err
    except Neo4jError as err:
        hint = ""
        if "MemoryPoolOutOfMemoryError" in str(getattr(err, "code", "")):
            hint = (" (the load is one transaction and needs more server memory: restart the "
                    "local server with a larger PRIORGRAPH_NEO4J_HEAP, e.g. 4g)")  # fmt: skip
        raise click.ClickException(f"Neo4j error: {err}{hint}") from err


@contextmanager
def open_graph() -> Iterator[Graph]:
    """A verified connection to the configured Neo4j, closed afterwards."""
    with cli_errors(), Graph() as graph:
        graph.verify()
        yield graph


def parse_param(text: str) -> tuple[str, object]:
    """``k=v`` with v parsed as JSON when it is JSON (numbers, lists, true), else kept as text."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise click.BadParameter(f"expected KEY=VALUE, got {text!r}")
    try:
        value: object = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key, value
