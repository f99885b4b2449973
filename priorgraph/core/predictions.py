"""A model run's full prediction matrix on disk: zarr arrays, hashed, checked on every read.

A genome-wide screen predicts every gene under every perturbation (10,000 × 8,000 = 80 million
values): too many relationships for a graph, a small file (320 MB of float32). The graph keeps
the strongest effects (``models.writeback``); this file keeps every value, for the questions
that need them all ("every perturbation's predicted effect on STAT1").

Layout, one folder per content: ``<run dir>/predictions-<hash12>/``, a zarr v3 group with

* ``delta``: float32, perturbations × genes, the predicted change from control;
* ``sd`` (optional): float32, the same shape, the model's predictive standard deviation;
* ``manifest.json``: the row labels (``conditions``, ``A+B``), the column labels (``genes``,
  gene ids), what the writer adds (``attributes``: run id, data set), the content hash of the
  arrays and labels, and the sha256 of every file of the group.

The sha256 of ``manifest.json`` is the matrix hash that the run's node records. Opening checks
it, and every chunk read is checked against the manifest, so a changed, swapped or truncated
file is an error, not a wrong answer. Chunks hold every perturbation of a few genes (about
1 MB each): a gene's values are one chunk read; a perturbation's row reads every chunk. They
are not compressed: predicted deltas are dense floats that zstd shrinks by about 7 %, for
writes and reads 4× slower.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.storage import LocalStore

from priorgraph.core.errors import PredictionFileError

MANIFEST = "manifest.json"
PREFIX = "predictions-"
CHUNK_VALUES = 262_144  # float32 values per chunk: 1 MB
MAX_CHUNK_ROWS = 16_384


def chunk_shape(n_rows: int, n_cols: int) -> tuple[int, int]:
    """Chunks of every row (up to 16,384) and as many columns as fit in about 1 MB."""
    rows = max(1, min(n_rows, MAX_CHUNK_ROWS))
    return rows, max(1, min(n_cols, CHUNK_VALUES // rows))


def content_hash(
    conditions: Sequence[str], genes: Sequence[str], arrays: Mapping[str, np.ndarray]
) -> str:
    """sha256 over the labels and each array's name, dtype, shape and bytes."""
    digest = hashlib.sha256(json.dumps([list(conditions), list(genes)]).encode())
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        digest.update(f"|{name}|{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _file_hashes(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


class _CheckedStore(LocalStore):
    """A read-only zarr store that compares every file it reads with the manifest's sha256."""

    def __init__(self, root: Path, files: Mapping[str, str]):
        super().__init__(root, read_only=True)
        self._files = dict(files)

    async def get(self, key: str, prototype: Any = None, byte_range: Any = None) -> Any:
        if byte_range is not None:  # only whole files can be checked; zarr asks for whole chunks
            raise PredictionFileError(self.root, f"partial read of {key} cannot be checked")
        buffer = await super().get(key, prototype)
        expected = self._files.get(key)
        if expected is None:  # zarr does not write chunks that hold only the fill value
            if buffer is not None:
                raise PredictionFileError(self.root, f"{key} is not in the manifest")
            return None
        if buffer is None:
            raise PredictionFileError(self.root, f"{key} is missing")
        if hashlib.sha256(buffer.to_bytes()).hexdigest() != expected:
            raise PredictionFileError(self.root, f"{key} does not match the manifest's sha256")
        return buffer


class PredictionMatrix:
    """An opened prediction matrix (:meth:`open`, :meth:`write`); rows are conditions, columns
    genes."""

    def __init__(self, path: Path, sha256: str, manifest: dict[str, Any]):
        self.path = path
        self.sha256 = sha256
        self.content_hash: str = manifest["content_hash"]
        self.conditions: list[str] = manifest["conditions"]
        self.genes: list[str] = manifest["genes"]
        self.attributes: dict[str, Any] = manifest["attributes"]
        self._row = {c: i for i, c in enumerate(self.conditions)}
        self._col = {g: j for j, g in enumerate(self.genes)}
        group = zarr.open_group(_CheckedStore(path, manifest["files"]), mode="r")
        self._delta = group["delta"]
        self._sd = group["sd"] if "sd" in manifest["arrays"] else None

    @property
    def has_sd(self) -> bool:
        return self._sd is not None

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.conditions), len(self.genes)

    @classmethod
    def write(
        cls,
        directory: str | Path,
        *,
        conditions: Sequence[str],
        genes: Sequence[str],
        delta: np.ndarray,
        sd: np.ndarray | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> PredictionMatrix:
        """Write the matrix under ``directory`` (a run's folder) and open it.

        The folder is named by the content hash, written under a temporary name and renamed
        when complete, so a crash never leaves a folder that looks finished; the same content
        written again reuses the folder that holds it.
        """
        arrays = {"delta": np.asarray(delta, dtype=np.float32)}
        if sd is not None:
            arrays["sd"] = np.asarray(sd, dtype=np.float32)
        shape = (len(conditions), len(genes))
        for name, value in arrays.items():
            if value.shape != shape:
                raise ValueError(f"{name} has shape {value.shape}, labels say {shape}")
        digest = content_hash(conditions, genes, arrays)
        directory = Path(directory)
        final = directory / f"{PREFIX}{digest[:12]}"
        if (final / MANIFEST).is_file():
            manifest = json.loads((final / MANIFEST).read_text())
            if manifest.get("content_hash") == digest:
                return cls.open(final)
        directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{PREFIX}", dir=directory))
        try:
            group = zarr.open_group(LocalStore(staging), mode="w")
            for name, value in arrays.items():
                group.create_array(name, shape=shape, chunks=chunk_shape(*shape), dtype="float32",
                                   compressors=None)  # fmt: skip
                group[name][:] = value
            manifest = {
                "content_hash": digest, "arrays": sorted(arrays), "conditions": list(conditions),
                "genes": list(genes), "attributes": dict(attributes or {}),
                "files": _file_hashes(staging),
            }  # fmt: skip
            (staging / MANIFEST).write_text(json.dumps(manifest))
            shutil.rmtree(final, ignore_errors=True)
            os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return cls.open(final)

    @classmethod
    def open(cls, path: str | Path, *, sha256: str | None = None) -> PredictionMatrix:
        """Open a written matrix; with ``sha256`` (the run's record), refuse another file."""
        path = Path(path)
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise PredictionFileError(path, "no prediction matrix here (manifest.json missing)")
        raw = manifest_path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if sha256 is not None and digest != sha256:
            raise PredictionFileError(path, "manifest does not match the run's recorded sha256")
        try:
            manifest = json.loads(raw)
        except json.JSONDecodeError as err:
            raise PredictionFileError(manifest_path, f"not JSON: {err}") from err
        return cls(path, digest, manifest)

    def gene(self, gene: str) -> tuple[np.ndarray, np.ndarray | None]:
        """Every condition's predicted delta (and sd) for one gene id: one chunk read."""
        j = self._col.get(gene)
        if j is None:
            raise KeyError(gene)
        sd = self._sd[:, j] if self._sd is not None else None
        return self._delta[:, j], sd

    def condition(self, condition: str) -> tuple[np.ndarray, np.ndarray | None]:
        """One condition's predicted delta (and sd) for every gene: reads every chunk."""
        i = self._row.get(condition)
        if i is None:
            raise KeyError(condition)
        sd = self._sd[i, :] if self._sd is not None else None
        return self._delta[i, :], sd


def stale_folders(directory: str | Path, *, keep: str | Path) -> list[Path]:
    """Other prediction folders of a run directory than ``keep`` (for removal once ``keep`` is
    current), finished or left half-written by a crash."""
    directory, keep = Path(directory), Path(keep)
    if not directory.is_dir():
        return []
    return sorted(
        p for p in directory.iterdir()
        if p.is_dir() and p.name.startswith((PREFIX, f".{PREFIX}")) and p != keep
    )  # fmt: skip
