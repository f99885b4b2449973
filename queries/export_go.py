"""GO exports: the GEARS GO graph as a PyG ``Data``, bioLORD perturbation features, and the
bioLORD genetic-perturbation AnnData layout.

``go_graph_export`` gives ``Data(edge_index, edge_weight, num_nodes)`` over a gene list: edge
``source → target`` (``edge_index[0]`` → ``edge_index[1]``, GEARS's direction) with weight J.
By default the graph is computed for exactly this gene list from the annotations in the graph
(GEARS's semantics: neighbours are chosen among the listed genes); with ``graph_name`` the
stored edges of that graph are read instead (rank ≤ k + 1, both ends in the list; when the
stored graph was built on more genes, a gene's neighbours outside the list are not replaced).
Genes without GO annotation are listed in ``meta["unannotated"]`` and kept as isolated nodes,
or dropped with ``drop_unannotated=True``. :func:`write_gears_csv` writes a GO graph export in
the ``source,target,importance`` CSV that GEARS (cell-gears) reads as its custom GO graph.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from priorgraph.core.errors import UsageError
from priorgraph.ingest.go_graph import (
    DEFAULT_K,
    DEFAULT_THRESHOLD,
    gene_terms_from_graph,
    go_similarity,
)
from priorgraph.kg import cypher, ids
from priorgraph.kg.connection import Graph
from priorgraph.queries.export import HOMOGENEOUS, Export

FEATURES_KEY = "go_neighbours"


def go_graph_export(
    graph: Graph,
    genes: Sequence[str],
    *,
    k: int = DEFAULT_K,
    graph_name: str | None = None,
    source: str | None = None,
    include_inferred: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
    drop_unannotated: bool = False,
) -> Export:
    """The GO graph over ``genes`` (gene ids) as an :class:`Export`; see the module docstring."""
    genes = list(dict.fromkeys(genes))
    gene_terms, versions = gene_terms_from_graph(
        graph, genes, source=source, include_inferred=include_inferred
    )
    unannotated = [g for g in genes if not gene_terms.get(g)]
    nodes = [g for g in genes if gene_terms.get(g)] if drop_unannotated else genes
    meta: dict[str, Any] = {
        "kind": "go-graph",
        "k": k,
        "unannotated": unannotated,
        "dropped_unannotated": drop_unannotated,
        "annotation_source": source,
        "annotation_versions": versions,
    }
    if graph_name is None:
        edges = go_similarity(nodes, gene_terms, k=k, threshold=threshold)
        triples = edges.triples()
        meta.update(threshold=threshold, graph=None)
    else:
        stored = {r["graph"]: r for r in cypher.run(graph, "go_graphs")}
        if graph_name not in stored:
            raise UsageError(f"no GO graph named {graph_name!r}; stored: {sorted(stored)}")
        spec = stored[graph_name]
        if k > spec["k"]:
            raise UsageError(f"GO graph {graph_name!r} was built with k={spec['k']} < k={k}")
        rows = cypher.run(graph, "go_graph_edges", go_graph=graph_name, genes=nodes, max_rank=k + 1)
        triples = [(r["source"], r["target"], r["jaccard"], r["rank"]) for r in rows]
        meta.update(threshold=spec["threshold"], graph=graph_name, build=spec["build"])
    index = {g: i for i, g in enumerate(nodes)}
    edge_index = torch.tensor(
        [[index[s] for s, *_ in triples], [index[t] for _, t, *_ in triples]], dtype=torch.long
    ).reshape(2, -1)
    edge_weight = torch.tensor([j for *_, j, _ in triples], dtype=torch.float32)
    meta["n_edges"] = len(triples)
    data = Data(edge_index=edge_index, edge_weight=edge_weight, num_nodes=len(nodes))
    return Export(data, {HOMOGENEOUS: nodes}, meta)


def write_gears_csv(export: Export, path: str | Path) -> Path:
    """Write a GO graph export as GEARS's custom GO graph: ``source,target,importance``, one row
    per edge, genes by symbol, importance = the edge's Jaccard weight.

    GEARS (cell-gears 0.1.2) reads this file in place of the GO graph it would build itself,
    keeps the ``k + 1`` most important incoming edges of every target, and takes the genes named
    in it as the genes a perturbation may act on. Every node of the export therefore appears:
    a node without a self-loop (a gene without GO annotation, which the export keeps as an
    isolated node) gets one of importance 1.0, as GEARS gives every gene of its own graph, so
    its perturbations stay predictable. Rows are sorted by target, then importance (largest
    first) and source, so the same export always writes the same file.
    """
    path = Path(path)
    nodes = [ids.gene_symbol(g) for g in export.node_ids[HOMOGENEOUS]]
    source, target = export.data.edge_index.tolist()
    weight = export.data.edge_weight.tolist()
    rows = {(nodes[s], nodes[t]): float(w) for s, t, w in zip(source, target, weight, strict=True)}
    for gene in nodes:
        rows.setdefault((gene, gene), 1.0)
    ordered = sorted(rows.items(), key=lambda item: (item[0][1], -item[1], item[0][0]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["source", "target", "importance"])
        out.writerows([s, t, repr(w)] for (s, t), w in ordered)
    return path


def perturbation_features(export: Export, perturbed: Sequence[str]) -> np.ndarray:
    """bioLORD's GO features: row p holds, over the export's genes (columns), the Jaccard weight
    of each of p's top-(k+1) incoming GO neighbours s → p (0 elsewhere; an unannotated gene's row
    is all zero). ``perturbed`` are gene ids that must be nodes of the export."""
    index = export.index()
    missing = [g for g in perturbed if g not in index]
    if missing:
        raise UsageError(f"perturbed genes not in the GO export's gene list: {missing}")
    data = export.data
    n = int(data.num_nodes)
    source, target = data.edge_index.numpy()
    adjacency = sp.csr_matrix((data.edge_weight.numpy(), (target, source)), shape=(n, n))
    return adjacency[[index[g] for g in perturbed]].toarray().astype(np.float32)


def single_perturbation_gene(condition: str, control: str = "ctrl") -> str | None:
    """The gene of a GEARS single-perturbation condition (``A+ctrl``, ``ctrl+A``), else None."""
    parts = condition.split("+")
    genes = [p for p in parts if p != control]
    return genes[0] if len(parts) == 2 and len(genes) == 1 else None


def biolord_anndata(
    adata: ad.AnnData,
    export: Export,
    *,
    condition_key: str = "condition",
    control: str = "ctrl",
    species: str = ids.DEFAULT_SPECIES,
    key: str = FEATURES_KEY,
) -> ad.AnnData:
    """bioLORD's genetic-perturbation layout: one observation per single-perturbation condition,
    ``X`` the mean expression of its cells, ``obsm[key]`` the GO-neighbour vector of its gene
    (columns = ``uns[key + '_genes']``, the export's gene order) for
    ``ordered_attributes_keys=[key]``; ``obs`` has condition, gene and n_cells. Conditions whose
    gene is not in the export are listed in ``uns[key + '_missing']`` and left out."""
    if condition_key not in adata.obs:
        raise UsageError(f"AnnData has no obs column {condition_key!r}")
    conditions = adata.obs[condition_key].astype(str).to_numpy()
    index = export.index()
    kept, missing = [], []
    for condition in sorted(set(conditions)):
        gene = single_perturbation_gene(condition, control)
        if gene is None:
            continue
        gid = gene if ":" in gene else ids.gene_id(gene, species)
        (kept if gid in index else missing).append((condition, gene, gid))
    if not kept:
        raise UsageError(f"no single-perturbation condition of {condition_key!r} is in the export")
    means, counts = [], []
    for condition, _, _ in kept:
        mask = conditions == condition
        means.append(np.asarray(adata.X[mask].mean(axis=0)).ravel())
        counts.append(int(mask.sum()))
    obs = pd.DataFrame(
        {"condition": [c for c, _, _ in kept], "gene": [g for _, g, _ in kept], "n_cells": counts},
        index=[c for c, _, _ in kept],
    )
    out = ad.AnnData(X=np.vstack(means).astype(np.float32), obs=obs, var=adata.var.copy())
    out.obsm[key] = perturbation_features(export, [gid for _, _, gid in kept])
    out.uns[f"{key}_genes"] = list(export.node_ids[HOMOGENEOUS])
    out.uns[f"{key}_missing"] = [c for c, _, _ in missing]
    out.uns["priorgraph_go_export"] = {
        "content_hash": export.content_hash,
        **{
            k: v
            for k, v in export.meta.items()
            if k in ("k", "threshold", "graph", "annotation_source") and v is not None
        },
    }
    return out
