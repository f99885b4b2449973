"""Gene-feature matrices from gene embeddings stored in the graph, aligned to an export's id map.

A model that takes gene features (perturbation embeddings in GEARS-style models) asks for the
rows of an export's node-id map: row ``i`` of the matrix is the embedding of gene
``node_ids[i]``. Genes without an embedding are reported; they are filled with zeros or with the
mean of the present rows only when asked (``fill="zero"|"mean"``), so a gene with no GO
annotation but a text summary is still embedded, and nothing is silently invented.

Embedding *kinds* (``genept``, ``musegnn``) differ only in the Gene property and the vector index
that hold them: :data:`priorgraph.kg.schema.KINDS`.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from priorgraph.core.errors import GeneListError, MissingFeaturesError, UsageError
from priorgraph.core.utils import open_text
from priorgraph.kg import cypher
from priorgraph.kg import ids as kg_ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import get_kind
from priorgraph.kg.writer import batched
from priorgraph.queries.export import HOMOGENEOUS, Export

Fill = Literal["zero", "mean"]
FILLS: tuple[str, ...] = ("zero", "mean")
FILL_WARNING = 0.2  # share of filled rows above which a feature export warns
logger = logging.getLogger(__name__)


def search_width(k: int, *, filtered: bool = False) -> int:
    """Candidates the vector index searches for a top-``k`` query: ``k`` itself, or 200 when a
    filter (e.g. "shares no GO term") drops most of them. A wider search raises HNSW recall and
    latency together (docs/genept.md, "Benchmarks"); ``--candidates`` widens it."""
    return 200 if filtered else k


@dataclass
class GeneFeatures:
    """A ``len(ids) × dim`` float32 matrix; ``present[i]`` is False where row i was filled."""

    ids: list[str]
    matrix: np.ndarray
    present: np.ndarray
    kind: str
    fill: str | None

    @property
    def missing(self) -> list[str]:
        return [node_id for node_id, ok in zip(self.ids, self.present, strict=True) if not ok]

    @property
    def filled(self) -> int:
        """How many rows were filled (``fill``) rather than read from the graph."""
        return int((~self.present).sum()) if self.fill else 0

    def fill_summary(self) -> str:
        """``12 of 40 rows (30 %) mean-filled``, or ``no row filled``."""
        if not self.filled:
            return "no row filled"
        share = self.filled / len(self.ids)
        return f"{self.filled:,} of {len(self.ids):,} rows ({share:.0%}) {self.fill}-filled"

    def tensor(self) -> torch.Tensor:
        return torch.from_numpy(self.matrix)

    def save(self, path: str | Path) -> Path:
        """``.npz`` (matrix, ids, present) or ``.pt``: PyG's dictionary form of a ``Data`` with
        ``x``, ``present``, ``node_ids``, ``kind`` and ``fill`` (plain tensors and strings, so
        ``Data.from_dict(torch.load(path))`` reads it with torch's safe default loader)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".pt":
            torch.save(
                {"x": self.tensor(), "present": torch.from_numpy(self.present),
                 "node_ids": list(self.ids), "kind": self.kind, "fill": self.fill},
                path,
            )  # fmt: skip
        elif path.suffix == ".npz":
            np.savez(path, matrix=self.matrix, ids=np.array(self.ids), present=self.present)
        else:
            raise UsageError(f"{path}: write features as .npz or .pt")
        return path


def fetch_vectors(graph: Graph, ids: Sequence[str], kind: str = "genept") -> dict[str, np.ndarray]:
    """``{gene id: vector}`` for the requested ids that carry the embedding.

    One read transaction: the kind's current slot is resolved once and every chunk read from
    it, so a replace that switches meanwhile cannot mix two models in one matrix (it waits for
    this transaction before clearing the old slot).
    """
    spec = get_kind(kind)

    def work(tx) -> dict[str, np.ndarray]:
        found = tx.run(cypher.load("embeddings_current"), {"property": spec.property}).single()
        slot = found["property"] if found else spec.property
        out: dict[str, np.ndarray] = {}
        for chunk in batched(dict.fromkeys(ids), 5_000):
            params = {"ids": chunk, "property": slot}
            for row in tx.run(cypher.load("genept_features"), params):
                out[row["id"]] = np.asarray(row["vector"], dtype=np.float32)
        return out

    return graph.read_tx(work)


def gene_features(
    graph: Graph,
    ids: Sequence[str],
    kind: str = "genept",
    fill: Fill | None = None,
    *,
    warn_above: float = FILL_WARNING,
) -> GeneFeatures:
    """Rows aligned with ``ids``; missing genes raise unless ``fill`` is ``zero`` or ``mean``.

    mean fill: every missing row is μ = (1/|P|) Σ_{i∈P} x_i over the present rows P. When more
    than ``warn_above`` of the rows are filled, a warning is logged: such a matrix says more
    about the fill than about the genes (:attr:`GeneFeatures.filled` counts them).
    """
    if fill is not None and fill not in FILLS:
        raise UsageError(f"fill must be one of {FILLS} or None, got {fill!r}")
    vectors = fetch_vectors(graph, ids, kind)
    present = np.array([node_id in vectors for node_id in ids], dtype=bool)
    missing = [node_id for node_id, ok in zip(ids, present, strict=True) if not ok]
    if not vectors:
        raise MissingFeaturesError(f"none of the {len(ids)} genes has a {kind} embedding")
    if missing and fill is None:
        shown = ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")
        raise MissingFeaturesError(
            f"{len(missing)} of {len(ids)} genes have no {kind} embedding: {shown} "
            "(pass fill='zero' or 'mean' to fill them)"
        )
    dims = {v.shape[0] for v in vectors.values()}
    if len(dims) != 1:
        raise UsageError(f"{kind} embeddings of mixed dimensions {sorted(dims)} in the graph")
    dim = dims.pop()
    matrix = np.zeros((len(ids), dim), dtype=np.float32)
    for i, node_id in enumerate(ids):
        if node_id in vectors:
            matrix[i] = vectors[node_id]
    if missing and fill == "mean":
        matrix[~present] = matrix[present].mean(axis=0)
    result = GeneFeatures(list(ids), matrix, present, kind, fill if missing else None)
    if result.filled > warn_above * len(ids):
        logger.warning("%s features: %s, more than %s: those rows carry no %s embedding",
                       kind, result.fill_summary(), f"{warn_above:.0%}", kind)  # fmt: skip
    return result


def features_for_export(
    graph: Graph,
    export: Export,
    node_type: str = HOMOGENEOUS,
    kind: str = "genept",
    fill: Fill | None = None,
) -> GeneFeatures:
    """Gene features aligned with ``export.node_ids[node_type]`` (row i ↔ node i)."""
    return gene_features(graph, export.node_ids[node_type], kind, fill)


def read_ids(path: str | Path, node_type: str = HOMOGENEOUS, species: str = "human") -> list[str]:
    """An ordered gene-id list from a saved export (``.pt``), its ``.ids.tsv`` map, or a text
    file with one gene id (``human:KLF1``) or bare symbol (``KLF1``) per line."""
    path = Path(path)
    if path.suffix == ".pt":
        return list(Export.load(path).node_ids[node_type])
    with open_text(path, newline="") as handle:
        first = handle.readline()
        if first.rstrip("\n").split("\t") == ["node_type", "row", "id"]:
            reader = csv.DictReader(handle, fieldnames=["node_type", "row", "id"], delimiter="\t")
            rows = [r for r in reader if r["node_type"] == node_type]
            if not rows:
                raise GeneListError(path, f"no rows of node type {node_type!r}")
            return [r["id"] for r in sorted(rows, key=lambda r: int(r["row"]))]
        lines = [first, *handle]
    out = []
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#"):
            out.append(text if ":" in text else kg_ids.gene_id(text, species))
    return out
