"""What the graph holds: node count per label and relationship count per type."""

from __future__ import annotations

from typing import Any

from priorgraph.kg import cypher
from priorgraph.kg.connection import Graph


def graph_stats(graph: Graph) -> list[dict[str, Any]]:
    """Counts per node label and relationship type, as rows ``{kind, name, count}``."""
    rows = [{"kind": "label", "name": r["label"], "count": r["count"]}
            for r in cypher.run(graph, "graph_labels")]  # fmt: skip
    rows += [{"kind": "relationship", "name": r["type"], "count": r["count"]}
             for r in cypher.run(graph, "graph_relationship_types")]  # fmt: skip
    return rows
