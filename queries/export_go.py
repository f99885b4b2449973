"""GO exports: the GEARS GO graph as a PyG ``Data``, bioLORD perturbation features, and the
bioLORD genetic-perturbation AnnData layout.

``go_graph_export`` gives ``Data(edge_index, edge_weight, num_nodes)`` over a gene list: edge
``source → target`` (``edge_index[0]`` → ``edge_index[1]``, GEARS's direction) with weight J.
By default the graph is computed for exactly this gene list from the annotations in the graph
(GEARS's semantics: neighbours are chosen among the listed genes); with ``graph_name`` the
stored edges of that graph are read instead (rank ≤ k + 1, both ends in the list; when the
stored graph was built on more genes, a gene's neighbours outside the list are not replaced).
Genes without GO annotation are listed in ``meta["unannotated"]`` and kept as isolated nodes,
or dropped with ``drop_unannotated=True``.

**Gene names.** With a :class:`~priorgraph.ingest.gene_resolution.GeneResolver`, the gene list
may name genes by previous symbols, aliases or Ensembl ids: each becomes the graph's gene
(``meta["gene_names"]``: renamed, unknown and ambiguous names); a name no reference knows is
an error, or with ``unknown_genes="warn"`` kept as an isolated node under its given name (so an
unknown name is never a silent "unannotated"). A name that resolves to a gene already in the
list is dropped (``meta["duplicates"]``).

**Reading in pages.** Annotations are read for ``page`` genes at a time and stored edges for
``page`` target genes at a time (as columns), so the driver never holds the whole graph as
records; the edge order, and so the content hash, is the same as one query's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from priorgraph.core.errors import GeneListError, UsageError
from priorgraph.ingest.gene_resolution import GeneResolver, UnknownGenes
from priorgraph.ingest.go_graph import (
    DEFAULT_K,
    DEFAULT_THRESHOLD,
    gene_terms_from_graph,
    go_similarity,
)
from priorgraph.kg import cypher, ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import batched
from priorgraph.queries.export import HOMOGENEOUS, Export

FEATURES_KEY = "go_neighbours"
DEFAULT_PAGE = (
    2_000  # genes whose annotations, or target genes whose stored edges, are read at once
)


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
    resolver: GeneResolver | None = None,
    unknown_genes: UnknownGenes = "error",
    page: int = DEFAULT_PAGE,
) -> Export:
    """The GO graph over ``genes`` (gene ids ``species:symbol``, or names with ``resolver``) as
    an :class:`Export`; see the module docstring."""
    genes = list(dict.fromkeys(genes))
    meta: dict[str, Any] = {"kind": "go-graph", "k": k}
    if resolver is not None:
        genes = _resolve(genes, resolver, unknown_genes, meta)
    gene_terms: dict[str, list[str]] = {}
    versions: set[str] = set()
    for chunk in batched(genes, page):
        terms, seen = gene_terms_from_graph(
            graph, chunk, source=source, include_inferred=include_inferred
        )
        gene_terms.update(terms)
        versions.update(seen)
    unannotated = [g for g in genes if not gene_terms.get(g)]
    nodes = [g for g in genes if gene_terms.get(g)] if drop_unannotated else genes
    meta.update(
        unannotated=unannotated,
        dropped_unannotated=drop_unannotated,
        annotation_source=source,
        annotation_versions=sorted(versions),
    )
    if graph_name is None:
        edges = go_similarity(nodes, gene_terms, k=k, threshold=threshold)
        source_idx, target_idx, jaccard = edges.source, edges.target, edges.jaccard
        meta.update(threshold=threshold, graph=None)
    else:
        stored = {r["graph"]: r for r in cypher.run(graph, "go_graphs")}
        if graph_name not in stored:
            raise UsageError(f"no GO graph named {graph_name!r}; stored: {sorted(stored)}")
        spec = stored[graph_name]
        if k > spec["k"]:
            raise UsageError(f"GO graph {graph_name!r} was built with k={spec['k']} < k={k}")
        source_idx, target_idx, jaccard = _stored_edges(
            graph, graph_name, spec["build"], nodes, k, page
        )
        meta.update(threshold=spec["threshold"], graph=graph_name, build=spec["build"])
    edge_index = torch.as_tensor(
        np.stack([np.asarray(source_idx, dtype=np.int64), np.asarray(target_idx, dtype=np.int64)])
    ).reshape(2, -1)
    edge_weight = torch.as_tensor(np.asarray(jaccard, dtype=np.float32))
    meta["n_edges"] = int(edge_weight.numel())
    data = Data(edge_index=edge_index, edge_weight=edge_weight, num_nodes=len(nodes))
    return Export(data, {HOMOGENEOUS: nodes}, meta)


def _resolve(
    genes: list[str], resolver: GeneResolver, unknown_genes: UnknownGenes, meta: dict[str, Any]
) -> list[str]:
    """Gene ids for the names of ``genes`` (``species:`` prefixes of the resolver's species
    dropped first); unknown names kept as given (after :meth:`GeneNames.check`)."""
    prefix = f"{resolver.species}:"
    names = resolver.names([g.removeprefix(prefix) for g in genes], what="the gene list")
    names.check(unknown_genes, path="gene list", error=GeneListError,
                then="kept as isolated nodes under the given name")  # fmt: skip
    out: dict[str, None] = {}
    duplicates = []
    for given in genes:
        gene = names.gene_id(given.removeprefix(prefix)) or given
        if gene in out:
            duplicates.append(given)
        out.setdefault(gene)
    meta.update(gene_names=names.as_dict(), duplicates=duplicates)
    return list(out)


def _stored_edges(
    graph: Graph, graph_name: str, build: str, nodes: list[str], k: int, page: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stored edges of ``build`` among ``nodes`` with rank <= k + 1, as node indexes, read by
    pages of targets in (target id, rank) order (every page of the same build: a rebuild that
    switches meanwhile does not mix into the export)."""
    index = pd.Index(nodes)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for targets in batched(sorted(nodes), page):
        (row,) = cypher.run(graph, "go_graph_edges_page", go_graph=graph_name, build=build,
                            targets=targets, genes=nodes, max_rank=k + 1)  # fmt: skip
        parts.append((index.get_indexer(row["source"]), index.get_indexer(row["target"]),
                      np.asarray(row["jaccard"], dtype=np.float64)))  # fmt: skip
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    source, target, jaccard = (np.concatenate(c) for c in zip(*parts, strict=True))
    return source, target, jaccard


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
    renamed = {  # gene ids the export resolved to another gene
        ids.gene_id(old, species): ids.gene_id(new, species)
        for old, new in (export.meta.get("gene_names") or {}).get("renamed", {}).items()
    }
    kept, missing = [], []
    for condition in sorted(set(conditions)):
        gene = single_perturbation_gene(condition, control)
        if gene is None:
            continue
        gid = gene if ":" in gene else ids.gene_id(gene, species)
        gid = renamed.get(gid, gid)
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
