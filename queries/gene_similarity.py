"""Similarity between genes read from the graph: the priors that tie perturbations together.

A model that must predict a perturbation nobody measured borrows from measured perturbations
of similar genes. Similarities here are :class:`GeneKernel` s over gene symbols, computed from
the whole graph (every annotated gene counts, not only the genes of one data set):

* ``go_kernel(measure="idf_cosine")`` — GO annotation profiles weighted by how specific each
  term is, ``w_t = log(N / n_t)`` (``N`` annotated genes in the graph, ``n_t`` genes annotated
  with ``t``), compared by cosine::

      S(u, v) = Σ_t w_t² [t∈N_u][t∈N_v] / (‖w_{N_u}‖ ‖w_{N_v}‖)

  then kept above ``threshold`` (as GEARS keeps Jaccard > 0.1) and rescaled,
  ``S' = max(0, (S − τ) / (1 − τ))``, and projected onto the positive semi-definite cone (so it
  is a valid covariance: :mod:`priorgraph.models.graph_gp`). Sharing "protein binding" says
  little; sharing "MAP kinase kinase activity" says much.
* ``go_kernel(measure="jaccard")`` — GEARS's ``|N_u ∩ N_v| / |N_u ∪ N_v|`` (the GO-neighbour
  baseline's "nearest GO neighbour").
* ``genept_kernel`` — cosine of GenePT vectors, centred on the genes compared.

:func:`kernel_embedding` turns a kernel into coordinates (its top eigenvectors scaled by the
square roots of their eigenvalues), the graph embedding the linear baseline uses for targets
without measured responses.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from priorgraph.core.errors import UsageError
from priorgraph.kg import cypher, ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import batched
from priorgraph.queries.features import fetch_vectors

log = logging.getLogger(__name__)
Measure = Literal["idf_cosine", "jaccard"]
DEFAULT_THRESHOLD = 0.1


@dataclass(frozen=True)
class GeneKernel:
    """A symmetric similarity between ``genes`` (symbols) with 1 on the diagonal.

    ``unannotated`` genes had no evidence in the graph: their rows are those of the identity.
    """

    name: str
    genes: list[str]
    matrix: np.ndarray
    unannotated: list[str] = field(default_factory=list)

    @cached_property
    def index(self) -> dict[str, int]:
        """Gene → row."""
        return {g: i for i, g in enumerate(self.genes)}

    def values(self, gene: str, others: Sequence[str]) -> np.ndarray:
        """Similarities of ``gene`` to each of ``others`` (0 for genes outside the kernel)."""
        row = self.index.get(gene)
        if row is None:
            return np.zeros(len(others))
        return np.array([self.matrix[row, self.index[o]] if o in self.index else 0.0
                         for o in others])  # fmt: skip

    def submatrix(self, genes: Sequence[str]) -> np.ndarray:
        """The kernel among ``genes`` (a gene outside it is similar only to itself)."""
        rows = np.array([self.index.get(g, -1) for g in genes])
        out = np.eye(len(genes))
        known = np.flatnonzero(rows >= 0)
        out[np.ix_(known, known)] = self.matrix[np.ix_(rows[known], rows[known])]
        return out

    def isolated(self, genes: Sequence[str], among: Sequence[str]) -> list[str]:
        """The ``genes`` that are similar (> 0) to none of ``among`` (other than themselves)."""
        return [g for g in genes if not (self.values(g, [o for o in among if o != g]) > 0).any()]


def _profiles(graph: Graph, gene_ids: Sequence[str]) -> tuple[sp.csr_matrix, list[str], np.ndarray]:
    """Binary gene × term matrix of direct annotations, the terms, and each term's gene count."""
    rows: list[dict] = []
    for chunk in batched(list(dict.fromkeys(gene_ids)), 5_000):
        rows += cypher.run(graph, "go_term_profiles", genes=chunk)
    terms = sorted({r["term"] for r in rows})
    term_index = {t: i for i, t in enumerate(terms)}
    gene_index = {g: i for i, g in enumerate(gene_ids)}
    counts = np.zeros(len(terms))
    for r in rows:
        counts[term_index[r["term"]]] = r["n_genes"]
    matrix = sp.csr_matrix(
        (np.ones(len(rows)),
         ([gene_index[r["gene"]] for r in rows], [term_index[r["term"]] for r in rows])),
        shape=(len(gene_ids), len(terms)),
    )  # fmt: skip
    return matrix, terms, counts


def nearest_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric matrix with non-negative eigenvalues nearest to ``matrix`` (eigenvalue
    clipping), rescaled to a unit diagonal."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    out = (vectors * np.clip(values, 0, None)) @ vectors.T
    scale = np.sqrt(np.clip(np.diag(out), 1e-12, None))
    return out / np.outer(scale, scale)


def thresholded(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """``max(0, (S − τ) / (1 − τ))`` off the diagonal, 1 on it, made positive semi-definite."""
    out = np.clip((similarity - threshold) / (1 - threshold), 0, None)
    np.fill_diagonal(out, 1.0)
    return nearest_psd(out)


def go_kernel(
    graph: Graph,
    genes: Sequence[str],
    *,
    species: str = ids.DEFAULT_SPECIES,
    measure: Measure = "idf_cosine",
    threshold: float = DEFAULT_THRESHOLD,
    warn: bool = True,
) -> GeneKernel:
    """GO similarity among ``genes`` (symbols) from the graph's annotations (module doc).

    ``measure="jaccard"`` gives GEARS's raw Jaccard (no threshold); ``"idf_cosine"`` the
    thresholded, positive semi-definite IDF cosine. Genes without annotation are reported in
    ``unannotated`` (and logged as a warning unless ``warn`` is False: a caller that builds
    both kernels of the same genes warns once).
    """
    if measure not in ("idf_cosine", "jaccard"):
        raise UsageError(f"unknown GO similarity {measure!r}; choose idf_cosine or jaccard")
    if not 0 <= threshold < 1:
        raise UsageError(f"GO kernel threshold must be in [0, 1), got {threshold}")
    genes = list(dict.fromkeys(genes))
    matrix, _, counts = _profiles(graph, [ids.gene_id(g, species) for g in genes])
    annotated = np.asarray(matrix.sum(axis=1)).ravel() > 0
    unannotated = [g for g, ok in zip(genes, annotated, strict=True) if not ok]
    if unannotated and warn:
        log.warning("%d of %d genes have no GO annotation: %s", len(unannotated), len(genes),
                    ", ".join(unannotated[:10]))  # fmt: skip
    if measure == "jaccard":
        shared = (matrix @ matrix.T).toarray()
        sizes = np.asarray(matrix.sum(axis=1)).ravel()
        union = sizes[:, None] + sizes[None, :] - shared
        similarity = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        np.fill_diagonal(similarity, 1.0)
        return GeneKernel("go_jaccard", genes, similarity, unannotated)
    total = cypher.run(graph, "go_annotated_gene_count")[0]["n"]
    weights = np.log(max(total, 1) / np.maximum(counts, 1))
    weighted = matrix @ sp.diags(weights)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    unit = sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ weighted
    cosine = (unit @ unit.T).toarray()
    return GeneKernel(
        f"go_idf_cosine>{threshold:g}", genes, thresholded(cosine, threshold), unannotated
    )


def genept_kernel(
    graph: Graph, genes: Sequence[str], *, species: str = ids.DEFAULT_SPECIES, kind: str = "genept"
) -> GeneKernel:
    """Cosine similarity of the genes' text embeddings, centred on these genes (so the part all
    gene descriptions share does not count), negatives cut to 0, made positive semi-definite."""
    genes = list(dict.fromkeys(genes))
    vectors = fetch_vectors(graph, [ids.gene_id(g, species) for g in genes], kind)
    found = [g for g in genes if ids.gene_id(g, species) in vectors]
    missing = [g for g in genes if g not in set(found)]
    if len(found) < 2:
        raise UsageError(f"{kind} kernel: fewer than two of {len(genes)} genes have a vector")
    if missing:
        log.warning("%d of %d genes have no %s vector: %s", len(missing), len(genes), kind,
                    ", ".join(missing[:10]))  # fmt: skip
    x = np.vstack([vectors[ids.gene_id(g, species)] for g in found]).astype(np.float64)
    x -= x.mean(axis=0)
    x /= np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)
    inner = thresholded(x @ x.T, 0.0)
    matrix = np.eye(len(genes))
    rows = [genes.index(g) for g in found]
    matrix[np.ix_(rows, rows)] = inner
    return GeneKernel(f"{kind}_cosine", genes, matrix, missing)


def combine(kernels: Sequence[GeneKernel], weights: Sequence[float] | None = None) -> GeneKernel:
    """The weighted mean of kernels over the same genes (a kernel again)."""
    if not kernels:
        raise UsageError("combine needs at least one kernel")
    genes = kernels[0].genes
    if any(k.genes != genes for k in kernels):
        raise UsageError("kernels to combine must cover the same genes in the same order")
    w = np.ones(len(kernels)) if weights is None else np.asarray(weights, dtype=np.float64)
    matrix = sum(wi * k.matrix for wi, k in zip(w, kernels, strict=True)) / w.sum()
    unannotated = sorted(set.intersection(*(set(k.unannotated) for k in kernels)))
    return GeneKernel("+".join(k.name for k in kernels), genes, matrix, unannotated)


def kernel_embedding(kernel: GeneKernel, *, dim: int = 16) -> pd.DataFrame:
    """Coordinates whose inner products approximate the kernel: the top ``dim`` eigenvectors
    scaled by √eigenvalue (a spectral embedding); rows are the kernel's genes."""
    values, vectors = np.linalg.eigh(kernel.matrix)
    order = np.argsort(values)[::-1][: max(1, min(dim, len(values)))]
    coords = vectors[:, order] * np.sqrt(np.clip(values[order], 0, None))
    return pd.DataFrame(coords, index=kernel.genes)
