"""Shared CLI plumbing: opening the graph, Cypher the user wrote, ``KEY=VALUE`` parameters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
from neo4j.exceptions import ClientError

from priorgraph.commands.reporting import debug_enabled
from priorgraph.kg.connection import Graph


@contextmanager
def user_cypher_errors() -> Iterator[None]:
    """The server's message for Cypher the user wrote (syntax, unknown names, a write in a
    read-only run: with the ``--write`` hint), as one message and exit code 1."""
    try:
        yield
    except ClientError as err:
        if debug_enabled():
            raise
        hint = " (the query writes: pass --write)" if err.code.endswith("AccessMode") else ""
        raise click.ClickException(f"{err.code}: {err.message}{hint}") from err


@contextmanager
def open_graph() -> Iterator[Graph]:
    """A verified connection to the configured Neo4j, closed afterwards."""
    with Graph() as graph:
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
