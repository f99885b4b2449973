"""Co-expression exports: one split's (or one data set's) graph, or several over one gene index.

``(:Gene)-[:COEXPRESSED {rho, rank, dataset, split}]->(:Gene)`` holds the graphs the ingest
stores: the training-cell graph of a Perturb-seq split (:mod:`priorgraph.ingest.splits`) and the
whole-data-set graphs of MuSe-GNN (:mod:`priorgraph.ingest.coexpression`, split ``"all"``).
Every export carries ``edge_weight = |r|`` and ``edge_attr = r`` (signed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch_geometric.data import Batch, Data

from priorgraph.core.errors import UsageError
from priorgraph.ingest.coexpression import ALL_CELLS
from priorgraph.kg import cypher
from priorgraph.kg.connection import Graph
from priorgraph.queries.export import HOMOGENEOUS, Export


def coexpression_export(graph: Graph, dataset: str, split: str) -> Export:
    """The split's co-expression graph as a PyG ``Data`` (edge_index source→target, edge_weight
    = |r|, edge_attr = signed r) with its node-id map and content hash."""
    rows = cypher.run(graph, "coexpression_edges", dataset=dataset, split=split)
    if not rows:
        raise UsageError(f"no COEXPRESSED edges for data set {dataset!r}, split {split!r}")
    edges = [(r["source"], r["target"], r["rho"]) for r in rows]
    node_ids = _genes(edges)
    return Export(
        _graph(edges, node_ids), {HOMOGENEOUS: node_ids},
        {"graph": "coexpression", "dataset": dataset, "split": split},
    )  # fmt: skip


def _genes(edges: Sequence[tuple[str, str, float]]) -> list[str]:
    return sorted({g for s, t, _ in edges for g in (s, t)})


def _graph(edges: Sequence[tuple[str, str, float]], node_ids: Sequence[str], **extra) -> Data:
    """``Data`` over ``node_ids``: edge_index source → target, edge_weight |r|, edge_attr r."""
    index = {g: i for i, g in enumerate(node_ids)}
    rho = torch.tensor([r for _, _, r in edges], dtype=torch.float32)
    edge_index = torch.tensor(
        [[index[s] for s, _, _ in edges], [index[t] for _, t, _ in edges]], dtype=torch.long
    )
    return Data(edge_index=edge_index, edge_weight=rho.abs(), edge_attr=rho,
                num_nodes=len(node_ids), **extra)  # fmt: skip


def build_multigraph(
    edges: Mapping[str, Sequence[tuple[str, str, float]]], meta: Mapping | None = None
) -> Export:
    """Several co-expression graphs over one shared gene index, as one :class:`Export`.

    ``edges``: data set → ``(source id, target id, r)``. The shared index is the sorted union of
    the genes; graph t is a ``Data`` with ``gene`` (local node → shared row), ``edge_index``
    (local, source → target), ``edge_weight`` = |r|, ``edge_attr`` = r. ``export.data`` is a
    PyG ``Batch`` of them (``graphs(export)`` gives the list back); ``meta["datasets"]`` names
    graph t.
    """
    if not edges:
        raise UsageError("no co-expression graphs given")
    node_ids = _genes([e for rows in edges.values() for e in rows])
    shared = {g: i for i, g in enumerate(node_ids)}
    graphs = []
    for dataset, rows in edges.items():
        if not rows:
            raise UsageError(f"data set {dataset!r} has no co-expression edges")
        local_ids = _genes(rows)
        gene = torch.tensor([shared[g] for g in local_ids], dtype=torch.long)
        graphs.append(_graph(rows, local_ids, gene=gene))
    info = {"graph": "coexpression", "split": ALL_CELLS, "datasets": list(edges), **(meta or {})}
    return Export(Batch.from_data_list(graphs), {HOMOGENEOUS: node_ids}, info)


def graphs(export: Export) -> list[Data]:
    """The per-data-set graphs of a :func:`build_multigraph` export, in ``meta["datasets"]``
    order."""
    return export.data.to_data_list()


def multigraph_export(graph: Graph, datasets: Sequence[str]) -> Export:
    """The stored whole-data-set graphs of ``datasets`` over one shared gene index."""
    edges = {}
    for dataset in datasets:
        rows = cypher.run(graph, "coexpression_edges", dataset=dataset, split=ALL_CELLS)
        if not rows:
            raise UsageError(f"no COEXPRESSED edges for data set {dataset!r} (split 'all')")
        edges[dataset] = [(r["source"], r["target"], r["rho"]) for r in rows]
    return build_multigraph(edges)
