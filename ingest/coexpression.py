"""Co-expression graphs of whole single-cell data sets (MuSe-GNN's inputs), over one gene index.

Per data set (an AnnData, optionally restricted to the cells of one ``obs`` value):

1. expression: ``.raw`` when asked, counts (integer ``X``) are normalised to 10⁴ per cell and
   ``log1p``-transformed with scanpy; log data are used as they are;
2. genes: the ``n_top_genes`` highly variable genes (``scanpy.pp.highly_variable_genes``,
   flavour ``seurat``), all non-constant genes when the panel is smaller;
3. edges: Pearson r over the cells and GEARS's rule, the same code as the Perturb-seq split
   graphs (``ingest.splits.pearson_matrix`` / ``coexpression_edges``): each gene keeps its top
   k+1 partners by |r| (itself included) with |r| > ``threshold``.

MuSe-GNN builds its graphs with CS-CORE (an R package, no maintained Python release), so plain
Pearson is used here; the self edge keeps every selected gene in its graph.

Representation: ``(:Gene)-[:COEXPRESSED {rho, rank, dataset, split: "all"}]->(:Gene)``. A graph
of a whole data set is the split ``"all"`` (:data:`ALL_CELLS`) of the Perturb-seq split graphs'
relationship, so one index ``(dataset, split)`` serves both. The exports live in
:mod:`priorgraph.queries.export_coexpression`: ``coexpression_export(graph, dataset, "all")``
exports one data set alone, ``multigraph_export`` several as one bundle over one shared gene
index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from priorgraph.core.errors import UsageError
from priorgraph.core.utils import dense
from priorgraph.ingest.gene_resolution import GeneNames, GeneResolver
from priorgraph.ingest.splits import coexpression_edges
from priorgraph.kg import ids
from priorgraph.kg.bulk import BulkGraph, BulkWriter
from priorgraph.kg.connection import Graph
from priorgraph.kg.existing import existing_ids
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts

ALL_CELLS = "all"  # the ``split`` of a whole-data-set co-expression graph
Edge = tuple[str, str, float, int]  # (source symbol, target symbol, r, rank)


@dataclass
class Expression:
    """A dense cells × genes log-expression matrix of one data set."""

    x: np.ndarray
    genes: list[str]


def resolve_var_names(adata, resolver: GeneResolver, *, what: str) -> GeneNames:
    """Replace the var names (and ``.raw``'s) by approved symbols, in place; unknown names are
    kept as given. Returns the resolution (what was renamed or not found)."""
    raw = list(adata.raw.var_names) if adata.raw is not None else []
    names = resolver.names([*adata.var_names, *raw], what=what)
    adata.var_names = names.unique_symbols(adata.var_names)
    if adata.raw is not None:
        adata.raw.var.index = names.unique_symbols(raw)
    return names


def select_cells(adata, obs_key: str | None, obs_values: Sequence[str]) -> np.ndarray | None:
    """The cells whose ``obs[obs_key]`` is one of ``obs_values`` (None: every cell)."""
    if bool(obs_key) != bool(obs_values):
        raise UsageError("obs_key and obs_value go together (--obs-key, --obs-value)")
    if not obs_key:
        return None
    cells = adata.obs[obs_key].astype(str).isin(list(obs_values)).to_numpy()
    if not cells.any():
        raise UsageError(f"no cell has obs[{obs_key!r}] in {list(obs_values)}")
    return cells


def log_expression(adata, *, use_raw: bool = False, cells: np.ndarray | None = None) -> Expression:
    """Log-normalised expression: counts → log1p(10⁴ · x / Σ_cell x); log data unchanged."""
    import anndata
    import scanpy as sc

    source = adata.raw if use_raw and adata.raw is not None else adata
    x = dense(source.X if cells is None else source.X[cells])
    if np.all(x >= 0) and np.allclose(x, np.round(x)):
        tmp = anndata.AnnData(x)
        sc.pp.normalize_total(tmp, target_sum=1e4)
        sc.pp.log1p(tmp)
        x = np.asarray(tmp.X, dtype=np.float64)
    return Expression(x, [str(g) for g in source.var_names])


def highly_variable(expr: Expression, n_top_genes: int) -> Expression:
    """The ``n_top_genes`` most variable genes (scanpy ``seurat`` flavour), in panel order."""
    import anndata
    import scanpy as sc

    varying = expr.x.std(axis=0) > 0
    if varying.sum() > n_top_genes:
        tmp = anndata.AnnData(expr.x[:, varying])
        sc.pp.highly_variable_genes(tmp, n_top_genes=n_top_genes, flavor="seurat")
        keep = np.flatnonzero(varying)[tmp.var["highly_variable"].to_numpy()]
    else:
        keep = np.flatnonzero(varying)
    return Expression(expr.x[:, keep], [expr.genes[i] for i in keep])


def dataset_edges(
    adata,
    *,
    use_raw: bool = False,
    cells: np.ndarray | None = None,
    n_top_genes: int = 2000,
    k: int = 20,
    threshold: float = 0.4,
) -> list[Edge]:
    """Co-expression edges of one data set (see the module docstring)."""
    expr = highly_variable(log_expression(adata, use_raw=use_raw, cells=cells), n_top_genes)
    if len(expr.genes) < 2:
        raise UsageError("fewer than two variable genes: no co-expression graph")
    return coexpression_edges(expr.x, expr.genes, k=k, threshold=threshold)


def write_dataset_coexpression(
    graph: Graph | BulkGraph,
    dataset: str,
    edges: Sequence[Edge],
    *,
    species: str = ids.DEFAULT_SPECIES,
    version: str = "1",
    progress: bool = False,
    writer: BatchWriter | BulkWriter | None = None,
) -> dict[str, WriteCounts]:
    """Replace the data set's ``COEXPRESSED {split: "all"}`` edges in one transaction; genes
    missing from the graph are created with this load's provenance. ``graph`` may be the graph
    of a build, with its :class:`~priorgraph.kg.bulk.BulkWriter` as ``writer``."""
    genes = sorted({g for s, t, _, _ in edges for g in (s, t)})
    gene_rows = [{"id": ids.gene_id(g, species), "symbol": g, "species": species} for g in genes]
    wanted = [g["id"] for g in gene_rows]
    missing = set(wanted) - existing_ids(graph, "Gene", wanted)
    rows = [
        {"start": ids.gene_id(s, species), "end": ids.gene_id(t, species), "rho": rho,
         "rank": rank}
        for s, t, rho, rank in edges
    ]  # fmt: skip
    provenance = Provenance(f"coexpression.{dataset}", version)
    if writer is None:
        writer = BatchWriter(graph, provenance, progress=progress)
    writer.provenance = provenance
    with writer.transaction():
        genes_written = writer.merge_nodes("Gene", [g for g in gene_rows if g["id"] in missing])
        edges_written = writer.replace_relationships(
            "COEXPRESSED", rows, start=("Gene", "id"), end=("Gene", "id"),
            scope={"dataset": dataset, "split": ALL_CELLS},
        )  # fmt: skip
    return {"Gene": genes_written, "COEXPRESSED": edges_written}
