"""Which predicted effects of a run the graph keeps: the strongest per perturbation and per gene.

A run predicts ``Δ`` for every (perturbation, gene) pair; its full matrix goes to a file
(:mod:`priorgraph.core.predictions`), and the graph gets the effects a graph query asks for:

* the ``top_per_perturbation`` genes of each perturbation by ``|Δ|`` (20 by default: the top-20
  DE convention of GEARS' metrics) — "which genes does JAK2 knock-down move most?";
* the ``top_per_gene`` perturbations of each gene by ``|Δ|`` (20) — "which perturbations move
  STAT1 most?";
* every effect with ``|Δ| ≥ threshold`` (1.0 on log-normalised expression, about a 2.7-fold
  change; ``None``: none), however many a perturbation has.

The rank of an effect is the rank of its ``|Δ|`` among all genes of its perturbation (1 = the
largest; equal values rank by gene position), computed over the whole row even for the effects
that are kept for another reason. Ranks and the choice use exact, unique sort keys (the float
bits of ``|Δ|`` above the reversed position), so the kept set is the same on every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCK_VALUES = 8_000_000  # sort keys per block: 64 MB of uint64
_LOW = np.uint64(0xFFFFFFFF)


@dataclass(frozen=True)
class EffectSelection:
    """What the graph keeps of a run's predictions (see the module docstring)."""

    top_per_perturbation: int = 20
    top_per_gene: int = 20
    threshold: float | None = 1.0

    def __post_init__(self) -> None:
        if self.top_per_perturbation < 0 or self.top_per_gene < 0:
            raise ValueError("top_per_perturbation and top_per_gene must be >= 0")
        if self.threshold is not None and not self.threshold > 0:
            raise ValueError("threshold must be > 0 (or None)")

    def as_dict(self) -> dict[str, float | int | None]:
        return {"top_per_perturbation": self.top_per_perturbation,
                "top_per_gene": self.top_per_gene, "threshold": self.threshold}  # fmt: skip


def sort_keys(magnitude: np.ndarray, axis: int) -> np.ndarray:
    """Unique uint64 keys of ``magnitude`` (float32, ≥ 0) along ``axis``: the float's bits above,
    the reversed position below, so a larger key is a larger value or, for equal values, an
    earlier position."""
    bits = np.ascontiguousarray(magnitude, dtype=np.float32).view(np.uint32).astype(np.uint64)
    n = magnitude.shape[axis]
    position = np.arange(n - 1, -1, -1, dtype=np.uint64)
    return (bits << np.uint64(32)) | (position[None, :] if axis == 1 else position[:, None])


def _rows_per_block(n_cols: int) -> int:
    return max(1, BLOCK_VALUES // max(n_cols, 1))


def select_effects(
    delta: np.ndarray, selection: EffectSelection
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kept effects of a perturbations × genes matrix: ``(rows, cols, ranks)``, ordered by
    row then column; ``ranks[k]`` is the rank of ``|delta[rows[k], cols[k]]|`` in its row."""
    magnitude = np.abs(np.asarray(delta, dtype=np.float32))
    n_rows, n_cols = magnitude.shape
    keep = np.zeros(magnitude.shape, dtype=bool)
    if selection.threshold is not None:
        keep |= magnitude >= np.float32(selection.threshold)
    k_col = min(selection.top_per_gene, n_rows)
    if k_col:
        step = _rows_per_block(n_rows)
        for j in range(0, n_cols, step):
            keys = sort_keys(magnitude[:, j : j + step], axis=0)
            top = np.partition(keys, n_rows - k_col, axis=0)[n_rows - k_col :]
            rows = (n_rows - 1) - (top & _LOW).astype(np.int64)
            keep[rows, np.arange(j, j + keys.shape[1])[None, :]] = True
    k_row = min(selection.top_per_perturbation, n_cols)
    out_rows, out_cols, out_ranks = [], [], []
    step = _rows_per_block(n_cols)
    for i in range(0, n_rows, step):
        block_keys = sort_keys(magnitude[i : i + step], axis=1)
        ascending = np.sort(block_keys, axis=1)
        if k_row:
            cols = (n_cols - 1) - (ascending[:, n_cols - k_row :] & _LOW).astype(np.int64)
            keep[np.arange(i, i + len(ascending))[:, None], cols] = True
        for r, (sorted_row, key_row) in enumerate(zip(ascending, block_keys, strict=True)):
            cols = np.flatnonzero(keep[i + r])
            larger = n_cols - np.searchsorted(sorted_row, key_row[cols], side="right")
            out_rows.append(np.full(len(cols), i + r, dtype=np.int64))
            out_cols.append(cols)
            out_ranks.append(larger + 1)
    if not out_rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(out_rows), np.concatenate(out_cols), np.concatenate(out_ranks)
