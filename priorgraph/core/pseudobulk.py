"""The pseudobulk of a Perturb-seq data set: per-condition means and GEARS-style DE sets.

Shared by the Perturb-seq ingest (which computes and saves it), the queries (effects plots) and
the models (targets, metrics). Saved as a content-hashed ``.npz`` without pickles.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from priorgraph.core.datafiles import load_npz
from priorgraph.core.errors import PerturbSeqError, UsageError


@dataclass
class Pseudobulk:
    """Per-condition means and DE sets of one data set; rows follow ``conditions``.

    ``de_order[i]`` lists gene indices from most to least differentially expressed (|t| vs
    control); ``de_scores``/``rest_scores`` are t-scores in gene order (vs control / vs all other
    perturbed cells); ``perturbed_mean`` is the mean of all non-control cells.
    ``variances``/``control_variance`` are the cells' variances (ddof 1) per condition and gene:
    with ``n_cells`` they give the standard error of every mean, the noise level that models
    such as :mod:`priorgraph.models.graph_gp` weigh observations by.
    """

    dataset: str
    genes: list[str]
    conditions: list[str]
    targets: list[tuple[str, ...]]
    means: np.ndarray
    n_cells: np.ndarray
    control_mean: np.ndarray
    perturbed_mean: np.ndarray
    n_control: int
    de_order: np.ndarray
    de_scores: np.ndarray
    rest_scores: np.ndarray
    non_zero: np.ndarray
    non_dropout: np.ndarray
    normalisation: str
    variances: np.ndarray
    control_variance: np.ndarray
    separator: str = "+"

    def row(self, condition: str) -> int:
        """The row of ``condition`` (a UsageError when the data set does not have it)."""
        try:
            return self.conditions.index(condition)
        except ValueError:
            raise UsageError(f"{self.dataset} has no condition {condition!r}") from None

    @property
    def deltas(self) -> np.ndarray:
        """Observed delta: condition mean − control mean, per condition and gene."""
        return self.means - self.control_mean

    @property
    def mean_variances(self) -> np.ndarray:
        """Squared standard error of each condition mean, ``var / n_cells`` (conditions × genes)."""
        return self.variances / self.n_cells[:, None]

    @property
    def control_mean_variance(self) -> np.ndarray:
        """Squared standard error of the control mean, per gene."""
        return self.control_variance / self.n_control

    def de_rank(self) -> np.ndarray:
        """1-based DE rank of every (condition, gene)."""
        ranks = np.empty_like(self.de_order)
        rows = np.arange(len(self.conditions))[:, None]
        ranks[rows, self.de_order] = np.arange(1, len(self.genes) + 1)
        return ranks

    def top_de(self, condition: str, n: int = 20) -> np.ndarray:
        """Indices of the top-n DE genes (GEARS ``rank_genes_groups_cov_all``)."""
        return self.de_order[self.row(condition), :n]

    def top_non_dropout_de(self, condition: str, n: int = 20) -> np.ndarray:
        """The first n DE genes that are non-dropout (GEARS ``top_non_dropout_de_20``)."""
        i = self.row(condition)
        order = self.de_order[i]
        return order[self.non_dropout[i, order]][:n]

    def top_non_zero_de(self, condition: str, n: int = 20) -> np.ndarray:
        """The first n DE genes with a non-zero mean (GEARS ``top_non_zero_de_20``)."""
        i = self.row(condition)
        order = self.de_order[i]
        return order[self.non_zero[i, order]][:n]

    def _arrays(self) -> dict[str, np.ndarray]:
        return {
            "genes": np.array(self.genes, dtype=str),
            "conditions": np.array(self.conditions, dtype=str),
            "targets": np.array([self.separator.join(t) for t in self.targets], dtype=str),
            "means": self.means,
            "n_cells": self.n_cells,
            "control_mean": self.control_mean,
            "perturbed_mean": self.perturbed_mean,
            "de_order": self.de_order,
            "de_scores": self.de_scores,
            "rest_scores": self.rest_scores,
            "non_zero": self.non_zero,
            "non_dropout": self.non_dropout,
            "variances": self.variances,
            "control_variance": self.control_variance,
            "meta": np.array(
                json.dumps(
                    {
                        "dataset": self.dataset,
                        "n_control": self.n_control,
                        "normalisation": self.normalisation,
                        "separator": self.separator,
                    },
                    sort_keys=True,
                )
            ),
        }

    def content_hash(self) -> str:
        """sha256 over array names, dtypes, shapes and bytes (stable across re-ingests)."""
        return array_hash(self._arrays())

    def save(self, path: str | Path) -> str:
        """Write ``path`` (.npz, no pickles) and return the content hash."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = self._arrays()
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        return array_hash(arrays)

    @classmethod
    def load(cls, path: str | Path, expected_hash: str | None = None) -> Pseudobulk:
        """Read a saved pseudobulk; with ``expected_hash``, refuse a file whose content changed."""
        path = Path(path)
        if not path.is_file():
            raise PerturbSeqError(path, "no pseudobulk file (run `priorgraph ingest` first)")
        arrays = load_npz(path, error=PerturbSeqError)
        if expected_hash is not None and array_hash(arrays) != expected_hash:
            raise PerturbSeqError(path, "content does not match its recorded hash")
        if "variances" not in arrays:
            raise PerturbSeqError(
                path, "saved by an older priorgraph without cell variances; re-run "
                "`priorgraph ingest perturbseq` for this data set",
            )  # fmt: skip
        meta = json.loads(str(arrays["meta"]))
        sep = meta["separator"]
        return cls(
            dataset=meta["dataset"],
            genes=arrays["genes"].tolist(),
            conditions=arrays["conditions"].tolist(),
            targets=[tuple(t.split(sep)) if t else () for t in arrays["targets"].tolist()],
            means=arrays["means"],
            n_cells=arrays["n_cells"],
            control_mean=arrays["control_mean"],
            perturbed_mean=arrays["perturbed_mean"],
            n_control=int(meta["n_control"]),
            de_order=arrays["de_order"],
            de_scores=arrays["de_scores"],
            rest_scores=arrays["rest_scores"],
            non_zero=arrays["non_zero"],
            non_dropout=arrays["non_dropout"],
            normalisation=meta["normalisation"],
            variances=arrays["variances"],
            control_variance=arrays["control_variance"],
            separator=sep,
        )


def array_hash(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()
