"""Which of some node keys a graph holds: a database, or the graph a build is writing.

Ingest jobs check their endpoints before they write (an ortholog pair, a link table, a
liftOver consensus, a data set's targets). The same check runs against the database online and
against the :class:`~priorgraph.kg.bulk.BulkGraph` of ``priorgraph build``, so a job has one
code path for both.
"""

from __future__ import annotations

from collections.abc import Iterable

from priorgraph.kg import cypher
from priorgraph.kg.bulk import BulkGraph
from priorgraph.kg.connection import Graph

# label -> the named query that returns which of ``$ids`` exist
QUERIES = {"Peak": "peaks_existing", "Gene": "peaks_genes_existing"}


def existing_ids(graph: Graph | BulkGraph, label: str, ids: Iterable[str]) -> set[str]:
    """The ids among ``ids`` of ``label`` nodes (keyed by ``id``) that ``graph`` holds."""
    wanted = list(dict.fromkeys(ids))
    if isinstance(graph, BulkGraph):
        nodes = graph.nodes.get(label, {}) if graph.keys.get(label, "id") == "id" else {}
        return {i for i in wanted if i in nodes}
    return {r["id"] for r in cypher.run(graph, QUERIES[label], ids=wanted)}
