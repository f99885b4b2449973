"""What the graph holds: node count per label and relationship count per type (the current
version of each versioned relationship set, as every reader sees them)."""

from __future__ import annotations

from typing import Any

from priorgraph.kg import cypher
from priorgraph.kg.connection import Graph
from priorgraph.kg.ids import SET_SCOPES


def graph_stats(graph: Graph) -> list[dict[str, Any]]:
    """Counts per node label and relationship type, as rows ``{kind, name, count}``."""
    rows = [{"kind": "label", "name": r["label"], "count": r["count"]}
            for r in cypher.run(graph, "graph_labels")]  # fmt: skip
    rows += [{"kind": "relationship", "name": r["type"], "count": r["count"]}
             for r in cypher.run(graph, "graph_relationship_types",
                                versioned=sorted(SET_SCOPES))]  # fmt: skip
    return rows
