"""The GEARS GO-similarity graph, computed with sparse matrix products and stored in the graph.

For genes u, v with GO term sets N_u, N_v::

    J(u, v) = |N_u ∩ N_v| / |N_u ∪ N_v| = I / (|N_u| + |N_v| - I),   I = (A Aᵀ)[u, v]

with A the binary gene × term matrix. GEARS keeps edges with J > threshold (0.1) and, for each
target gene t, the k + 1 (21) highest-J incoming edges s → t, the self-loop t → t (J = 1)
included among the candidates.

Tie rule (deterministic, the one GEARS's ``groupby('target').nlargest(k + 1)`` applies to its
all-pairs edge list, whose sources come in gene-list order): candidates are ranked by
(-J, position of the source in the gene list); ``rank`` 1..k+1 is that order. The gene list is
the caller's order; for "all annotated genes" it is sorted by gene id. J is computed in float64
from integer counts, so equal fractions (1/3, 2/6) compare equal, as in the brute force.

Genes without annotation (or with an empty set) have no edges and are listed in
``unannotated``. A blocked product (``block`` target rows at a time) keeps memory at
O(nnz of a block of A Aᵀ) instead of O(n²); only pairs sharing a term are ever touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from priorgraph.core.errors import GeneListError, UsageError
from priorgraph.core.utils import open_text
from priorgraph.core.utils import progress as progress_bar
from priorgraph.kg import cypher, ids
from priorgraph.kg.bulk import BulkWriter
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import BatchWriter, Provenance, node_merge_query

DEFAULT_K = 20
DEFAULT_THRESHOLD = 0.1
EDGE_SOURCE = "priorgraph.go_graph"
GENE = ("Gene", "id")
logger = logging.getLogger(__name__)


@dataclass
class SimilarityEdges:
    """Edges ``genes[source[i]] → genes[target[i]]`` with their Jaccard and rank per target."""

    genes: list[str]
    source: np.ndarray
    target: np.ndarray
    jaccard: np.ndarray
    rank: np.ndarray
    unannotated: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.source)

    def triples(self) -> list[tuple[str, str, float, int]]:
        """``(source, target, jaccard, rank)`` in (target, rank) order."""
        return [
            (self.genes[s], self.genes[t], float(j), int(r))
            for s, t, j, r in zip(self.source, self.target, self.jaccard, self.rank, strict=True)
        ]

    def digest(self) -> str:
        """sha256 of genes and edges: identifies one build of a graph."""
        h = hashlib.sha256("\n".join(self.genes).encode())
        for array in (self.source, self.target, self.jaccard, self.rank):
            h.update(np.ascontiguousarray(array).tobytes())
        return h.hexdigest()


def _dedupe(genes: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(genes))


def go_similarity(
    genes: Sequence[str],
    gene_terms: Mapping[str, Sequence[str] | set[str]],
    *,
    k: int = DEFAULT_K,
    threshold: float = DEFAULT_THRESHOLD,
    block: int = 1024,
    progress: bool = False,
) -> SimilarityEdges:
    """GEARS's GO graph over ``genes`` (see the module docstring for rule and ties)."""
    if k < 0 or threshold < 0 or block < 1:
        raise UsageError("need k >= 0, threshold >= 0 and block >= 1")
    genes = _dedupe(genes)
    annotated = [i for i, g in enumerate(genes) if gene_terms.get(g)]
    unannotated = [g for g in genes if not gene_terms.get(g)]
    empty = np.zeros(0, dtype=np.int64)
    if not annotated:
        return SimilarityEdges(genes, empty, empty, np.zeros(0), empty, unannotated)
    vocab: dict[str, int] = {}
    indptr, indices = [0], []
    for i in annotated:
        cols = {vocab.setdefault(t, len(vocab)) for t in gene_terms[genes[i]]}
        indices.extend(sorted(cols))
        indptr.append(len(indices))
    n = len(annotated)
    a = sp.csr_matrix(
        (np.ones(len(indices), dtype=np.float32), np.array(indices), np.array(indptr)),
        shape=(n, len(vocab)),
    )
    at = a.T.tocsr()
    sizes = np.diff(a.indptr).astype(np.float64)
    sizes32 = sizes.astype(np.float32)
    out_s, out_t, out_j, out_r = [], [], [], []
    with progress_bar(total=n, desc="GO similarity", enabled=progress, unit="gene") as bar:
        for lo in range(0, n, block):
            hi = min(lo + block, n)
            product = a[lo:hi] @ at  # I = |N_t ∩ N_s| where > 0, row t - lo, column s
            counts = product.data  # float32, exact small integers
            rows = np.repeat(np.arange(hi - lo, dtype=np.int32), np.diff(product.indptr))
            cols = product.indices
            # cheap float32 pre-filter with a margin, then exact float64 J on the survivors
            rough = counts / (sizes32[lo:hi][rows] + sizes32[cols] - counts)
            near = rough > threshold - 1e-4
            rows, cols, counts = rows[near], cols[near], counts[near].astype(np.float64)
            jac = counts / (sizes[lo + rows] + sizes[cols] - counts)
            kept = jac > threshold
            rows, cols, jac = rows[kept], cols[kept], jac[kept]
            # order (row, -J, column): sort by (row, column), then two stable sorts
            order = np.argsort(rows.astype(np.int64) * n + cols)
            order = order[np.argsort(-jac[order], kind="stable")]
            order = order[np.argsort(rows[order], kind="stable")]
            rows, cols, jac = rows[order], cols[order], jac[order]
            rank = np.arange(len(rows)) - np.searchsorted(rows, rows) + 1
            top = rank <= k + 1
            out_s.append(cols[top])
            out_t.append(rows[top] + lo)
            out_j.append(jac[top])
            out_r.append(rank[top])
            bar.update(hi - lo)
    index = np.array(annotated)
    return SimilarityEdges(
        genes,
        index[np.concatenate(out_s)],
        index[np.concatenate(out_t)],
        np.concatenate(out_j),
        np.concatenate(out_r),
        unannotated,
    )


def all_pairs_go_similarity(
    genes: Sequence[str],
    gene_terms: Mapping[str, Sequence[str] | set[str]],
    *,
    k: int = DEFAULT_K,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[tuple[str, str, float, int]]:
    """Reference: GEARS's rule as a plain all-pairs loop over Python sets, same tie rule.

    Returns ``(source, target, jaccard, rank)`` in (target, rank) order, targets in gene-list
    order. O(n²) set operations; used by tests and the benchmark only.
    """
    genes = [g for g in _dedupe(genes) if gene_terms.get(g)]
    sets = {g: set(gene_terms[g]) for g in genes}
    edges = []
    for target in genes:
        candidates = []
        for position, source in enumerate(genes):
            j = len(sets[source] & sets[target]) / len(sets[source] | sets[target])
            if j > threshold:
                candidates.append((-j, position, source))
        candidates.sort()
        edges.extend((s, target, -nj, r) for r, (nj, _, s) in enumerate(candidates[: k + 1], 1))
    return edges


# --------------------------------------------------------------------------------------------
# In the graph


def read_gene_list(path: str | Path, species: str = ids.DEFAULT_SPECIES) -> list[str]:
    """Gene ids from a file with one gene per line (first column; symbols or ``species:sym``);
    blank lines and ``#`` comments are ignored, duplicates kept once in first-seen order."""
    genes: dict[str, None] = {}
    with open_text(path) as handle:
        for line in handle:
            token = line.split("#")[0].strip().split("\t")[0].split(",")[0].strip()
            if token:
                genes[token if ":" in token else ids.gene_id(token, species)] = None
    if not genes:
        raise GeneListError(path, "no genes in the gene list")
    return list(genes)


@dataclass(frozen=True)
class GOGraphSpec:
    """A named GO graph: its parameters and the annotation source it is computed from."""

    name: str
    k: int = DEFAULT_K
    threshold: float = DEFAULT_THRESHOLD
    source: str | None = None  # annotation source (ANNOTATED_WITH.source); None: all
    include_inferred: bool = False


def gene_terms_from_graph(
    graph: Graph,
    genes: Sequence[str] | None = None,
    *,
    source: str | None = None,
    include_inferred: bool = False,
) -> tuple[dict[str, list[str]], list[str]]:
    """``gene id → GO ids`` from ``ANNOTATED_WITH``, and the annotation versions seen."""
    rows = cypher.run(
        graph,
        "go_gene_terms",
        genes=list(genes) if genes is not None else None,
        source=source,
        include_inferred=include_inferred,
    )
    versions = sorted({v for r in rows for v in r["versions"]})
    return {r["gene"]: r["terms"] for r in rows}, versions


def build_go_graph(
    graph: Graph,
    spec: GOGraphSpec,
    genes: Sequence[str] | None = None,
    *,
    progress: bool = True,
) -> dict[str, Any]:
    """Compute the graph for ``genes`` (gene ids; default every annotated gene, sorted) from
    the annotations in the graph, and store it; returns the ``GOGraph`` record."""
    gene_terms, versions = gene_terms_from_graph(
        graph, genes, source=spec.source, include_inferred=spec.include_inferred
    )
    return go_graph_from_terms(graph, spec, gene_terms, versions, genes, progress=progress)


def go_graph_from_terms(
    graph: Graph | None,
    spec: GOGraphSpec,
    gene_terms: Mapping[str, Sequence[str]],
    versions: Sequence[str],
    genes: Sequence[str] | None = None,
    *,
    progress: bool = True,
    writer: BatchWriter | BulkWriter | None = None,
) -> dict[str, Any]:
    """:func:`build_go_graph` from ``gene id → GO ids`` already read (from the graph, or from
    the annotations of a bulk build) and the annotation versions they came from."""
    if not gene_terms:
        raise UsageError(
            f"no GO annotations found (source={spec.source!r}): ingest annotations first"
        )
    gene_list = list(genes) if genes is not None else sorted(gene_terms)
    edges = go_similarity(
        gene_list, gene_terms, k=spec.k, threshold=spec.threshold, progress=progress
    )
    return store_go_graph(graph, spec, edges, versions, progress=progress, writer=writer)


def store_go_graph(
    graph: Graph | None,
    spec: GOGraphSpec,
    edges: SimilarityEdges,
    annotation_versions: Sequence[str] = (),
    *,
    progress: bool = True,
    writer: BatchWriter | BulkWriter | None = None,
) -> dict[str, Any]:
    """Write ``GO_SIMILAR {graph, jaccard, rank}`` edges and the ``(:GOGraph)`` record.

    The build id is a hash of genes and edges, and the version key of the graph's edge set
    (:mod:`priorgraph.kg.versions`). If the stored record already has it, nothing is written
    (idempotent). Otherwise the edges are created under it, then the record (whose ``build``
    readers join on) and the set's pointer switch in one transaction, and the edges of the
    previous build are deleted; an interrupted run leaves the previous build in use.
    ``writer``: where the rows go instead of ``graph`` (``priorgraph build``'s bulk writer,
    whose provenance is set here; ``graph`` may then be None).
    """
    build = edges.digest()[:16]
    record = {
        "id": spec.name, "k": spec.k, "threshold": spec.threshold,
        "annotation_source": spec.source, "annotation_versions": list(annotation_versions),
        "include_inferred": spec.include_inferred, "build": build,
        "n_genes": len(edges.genes), "n_edges": len(edges),
        "unannotated": edges.unannotated, "tie_rule": "(-jaccard, source position in gene list)",
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }  # fmt: skip
    if graph is not None:
        current = {r["graph"]: r["build"] for r in cypher.run(graph, "go_graphs")}
        if current.get(spec.name) == build:
            return {**record, "created": 0}
    rows = [{"start": s, "end": t, "jaccard": j, "rank": r} for s, t, j, r in edges.triples()]
    provenance = Provenance(EDGE_SOURCE, build)
    if writer is None:
        writer = BatchWriter(graph, provenance, progress=progress)
    writer.provenance = provenance
    counts = writer.replace_relationships(
        "GO_SIMILAR", rows, start=GENE, end=GENE, scope={"graph": spec.name}, version=build,
        defer=True,
    )  # fmt: skip
    writer.switch(writer.written, also=[
        (node_merge_query("GOGraph"), {"rows": [record], **provenance.params()}),
    ])  # fmt: skip
    logger.info("GO graph %r: build %s, %d edges over %d genes", spec.name, build, len(edges),
                len(edges.genes))  # fmt: skip
    return {**record, "created": counts.relationships_created}
