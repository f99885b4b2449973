"""Exports in the file formats other tools read themselves.

**GEARS** reads its GO graph as a CSV of ``source,target,importance`` rows named by gene
symbol (its ``go_essential_*.csv`` files; ``gears.utils.get_similarity_network(network_type=
"go", …, dataset=path)`` reads one with ``pd.read_csv`` and keeps, for every target, the
``k + 1`` sources of largest importance). :func:`write_gears_csv` writes a GO-graph
:class:`~priorgraph.queries.export.Export` that way: one row per edge ``source → target``
(GEARS's direction, as in the export's ``edge_index``), importance the Jaccard weight, self
edges included, so GEARS picks exactly the export's top-(k + 1) neighbours. GEARS takes the
genes named in the file as the genes a perturbation may act on, so every node appears: a node
without a self edge (a gene without GO annotation, kept by the export as an isolated node) gets
one of importance 1.0, as GEARS gives every gene of its own graph.
"""

from __future__ import annotations

import csv
from pathlib import Path

from priorgraph.kg.ids import gene_symbol
from priorgraph.queries.export import HOMOGENEOUS, Export

GEARS_COLUMNS = ("source", "target", "importance")


def write_gears_csv(export: Export, path: str | Path) -> Path:
    """Write a GO-graph export as GEARS's ``source,target,importance`` CSV (gene symbols).

    Parameters
    ----------
    export
        A GO-graph export (:func:`~priorgraph.queries.export_go.go_graph_export`): a PyG
        ``Data`` with ``edge_index`` (source row, target row) and ``edge_weight`` (Jaccard).
    path
        The CSV to write; its folder is created.

    Returns
    -------
    Path
        ``path``. Rows keep the export's edge order, then the added self edges in node order;
        weights are written at float32's full precision (``repr``), so GEARS reads back exactly
        the export's weights.
    """
    symbols = [gene_symbol(g) for g in export.node_ids[HOMOGENEOUS]]
    source, target = export.data.edge_index.tolist()
    weights = export.data.edge_weight.tolist()
    looped = {s for s, t in zip(source, target, strict=True) if s == t}
    missing = [i for i in range(len(symbols)) if i not in looped]
    source, target = source + missing, target + missing
    weights = weights + [1.0] * len(missing)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(GEARS_COLUMNS)
        rows = zip(source, target, weights, strict=True)
        writer.writerows((symbols[s], symbols[t], repr(w)) for s, t, w in rows)
    return path
