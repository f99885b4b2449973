"""Named Cypher queries (``*.cypher`` beside this file) and the exports built on them.

A query is referred to by its file name without extension: ``load("graph_labels")``. Every
query takes user values as ``$parameters``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from priorgraph.kg.connection import Graph


def names() -> list[str]:
    """All named queries shipped with priorgraph."""
    return sorted(
        p.name.removesuffix(".cypher")
        for p in files(__name__).iterdir()
        if p.name.endswith(".cypher")
    )


@cache
def load(name: str) -> str:
    """The text of the named query; a clear KeyError for an unknown name."""
    resource = files(__name__) / f"{name}.cypher"
    if not resource.is_file():
        raise KeyError(f"no named query {name!r}; known: {', '.join(names())}")
    return resource.read_text()


def run(graph: Graph, name: str, **parameters: Any) -> list[dict[str, Any]]:
    """Run a named read query with parameters and return its rows as dicts."""
    return graph.read(load(name), parameters)
