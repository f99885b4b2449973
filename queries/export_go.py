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

from collections.abc import Iterable, Sequence
from typing import Any, Literal

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
    progress: bool = False,
) -> Export:
    """The GO graph over ``genes`` (gene ids ``species:symbol``, or names with ``resolver``) as
    an :class:`Export`; see the module docstring. ``progress``: a bar while the similarities
    are computed (a terminal only)."""
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
        edges = go_similarity(nodes, gene_terms, k=k, threshold=threshold, progress=progress)
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


def condition_targets(condition: str, *, control: str = "ctrl", separator: str = "+") -> list[str]:
    """The genes a condition perturbs: ``A+ctrl``, ``ctrl+A`` and ``A`` → ``[A]``, ``A+B`` →
    ``[A, B]``, the control → ``[]`` (GEARS's labels and perturbench's alike)."""
    return [part for part in condition.split(separator) if part and part != control]


def perturbation_universe(conditions: Iterable[str], *, control: str = "ctrl") -> list[str]:
    """Every gene any condition perturbs, singles and combinations alike, sorted."""
    return sorted({g for c in set(conditions) for g in condition_targets(c, control=control)})


def looks_like_counts(x: Any, *, sample: int = 100_000) -> bool:
    """True when the stored values of ``x`` (dense or sparse; the first ``sample`` of them)
    are non-negative whole numbers: raw counts, not yet normalised."""
    values = np.asarray(x.data if sp.issparse(x) else x).ravel()[:sample]
    return bool(values.size) and bool(np.all(values >= 0) and np.all(values == np.round(values)))


def log_normalised(x: Any, *, target_sum: float = 1e4) -> Any:
    """``log1p(x_cg / Σ_g x_cg · target_sum)``: each cell scaled to ``target_sum`` counts, then
    log1p (scanpy's ``normalize_total`` + ``log1p``); sparse stays sparse, empty cells stay 0."""
    totals = np.asarray(x.sum(axis=1), dtype=np.float64).ravel()
    scale = np.divide(target_sum, totals, out=np.zeros_like(totals), where=totals > 0)
    if sp.issparse(x):
        return (sp.diags(scale) @ x).astype(np.float32).log1p().tocsr()
    return np.log1p(np.asarray(x, dtype=np.float64) * scale[:, None]).astype(np.float32)


Normalise = Literal["auto", "log1p", "none"]


def _gene_id(name: str, species: str) -> str:
    """A condition's gene as a gene id (a label may already carry ``species:``)."""
    return name if ":" in name else ids.gene_id(name, species)


def biolord_anndata(
    adata: ad.AnnData,
    export: Export,
    *,
    condition_key: str = "condition",
    control: str = "ctrl",
    species: str = ids.DEFAULT_SPECIES,
    key: str = FEATURES_KEY,
    layer: str | None = None,
    normalise: Normalise = "auto",
) -> ad.AnnData:
    """bioLORD's genetic-perturbation layout, for ``ordered_attributes_keys=[key]``.

    One observation for the control and one per single-perturbation condition; ``X`` is the
    mean log-normalised expression of its cells (``normalise="auto"``: raw counts in ``X``, or
    in ``layer``, are log-normalised first, :func:`log_normalised`; already normalised values
    are averaged as they are); ``obsm[key]`` is the GO-neighbour vector of its gene
    (:func:`perturbation_features`), all zeros for the control. The vectors' columns are the
    export's genes (``uns[key + '_genes']``), which should be the whole perturbation universe
    (:func:`perturbation_universe`: the genes of combinations too, so a gene perturbed only in
    a combination has neighbours and a vector). ``uns[key + '_targets']`` and
    ``uns[key + '_target_vectors']`` hold the vector of every target of the universe in the
    export, for predicting combinations and unseen singles. ``obs`` has condition, gene and
    n_cells; single conditions whose gene is not in the export are listed in
    ``uns[key + '_missing']`` and left out.
    """
    if condition_key not in adata.obs:
        raise UsageError(f"AnnData has no obs column {condition_key!r}")
    if normalise not in ("auto", "log1p", "none"):
        raise UsageError(f"normalise must be auto, log1p or none, not {normalise!r}")
    conditions = adata.obs[condition_key].astype(str).to_numpy()
    if control not in set(conditions):
        raise UsageError(f"no control cells: no {condition_key!r} value is {control!r}")
    if layer is not None and layer not in adata.layers:
        raise UsageError(f"AnnData has no layer {layer!r}; layers: {sorted(adata.layers)}")
    x = adata.X if layer is None else adata.layers[layer]
    counts = looks_like_counts(x)
    if normalise == "log1p" or (normalise == "auto" and counts):
        x, how = log_normalised(x), "log1p(counts / total * 1e4)"
    else:
        how = "as given"
    index = export.index()
    renamed = {  # gene ids the export resolved to another gene
        ids.gene_id(old, species): ids.gene_id(new, species)
        for old, new in (export.meta.get("gene_names") or {}).get("renamed", {}).items()
    }

    def export_id(gene: str) -> str:
        gid = _gene_id(gene, species)
        return renamed.get(gid, gid)

    kept: list[tuple[str, str, str | None]] = [(control, control, None)]
    missing = []
    for condition in sorted(set(conditions) - {control}):
        targets = condition_targets(condition, control=control)
        if len(targets) != 1:
            continue
        (gene,) = targets
        gid = export_id(gene)
        if gid in index:
            kept.append((condition, gene, gid))
        else:
            missing.append(condition)
    means, counts_per = [], []
    for condition, _, _ in kept:
        mask = conditions == condition
        means.append(np.asarray(x[mask].mean(axis=0), dtype=np.float64).ravel())
        counts_per.append(int(mask.sum()))
    obs = pd.DataFrame(
        {"condition": [c for c, _, _ in kept], "gene": [g for _, g, _ in kept],
         "n_cells": counts_per},
        index=[c for c, _, _ in kept],
    )  # fmt: skip
    out = ad.AnnData(X=np.vstack(means).astype(np.float32), obs=obs, var=adata.var.copy())
    vectors = np.zeros((len(kept), int(export.data.num_nodes)), dtype=np.float32)
    vectors[1:] = perturbation_features(export, [gid for _, _, gid in kept[1:]])
    out.obsm[key] = vectors
    genes = list(export.node_ids[HOMOGENEOUS])
    universe = [g for g in perturbation_universe(conditions, control=control)
                if export_id(g) in index]  # fmt: skip
    out.uns[f"{key}_genes"] = genes
    out.uns[f"{key}_missing"] = missing
    out.uns[f"{key}_targets"] = universe
    out.uns[f"{key}_target_vectors"] = perturbation_features(
        export, [export_id(g) for g in universe]
    )
    out.uns["priorgraph_go_export"] = {
        "content_hash": export.content_hash,
        "expression": how,
        **{
            k: v
            for k, v in export.meta.items()
            if k in ("k", "threshold", "graph", "annotation_source") and v is not None
        },
    }
    return out
