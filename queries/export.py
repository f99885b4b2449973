"""Exports: Cypher rows → PyTorch Geometric objects with a saved node-id map and a content hash.

Every export (GEARS GO graph, co-expression graph, GLUE guidance graph, …) returns an
:class:`Export`, so a training run can record exactly which graph it used: row ``i`` of a node
type is the graph node ``node_ids[type][i]``, and ``content_hash`` changes whenever an index,
weight or id does.

**Files** (:meth:`Export.save`) hold plain tensors, strings and numbers only, so that plain
``torch.load(path)`` (``weights_only=True``, torch's default) reads them and nothing in them can
run code. A PyG ``Data`` or ``HeteroData`` cannot be pickled that way (PyG's storage classes
are not on torch's safe list), so the file is PyG's own dictionary form, ``data.to_dict()``,
with the id maps, meta and hash inside, and ``from_dict`` gives the PyG object back::

    data = Data.from_dict(torch.load("go.pt"))             # data.node_ids[i]: row i's gene
    data = HeteroData.from_dict(torch.load("guidance.pt"))  # data["gene"].node_ids, data.meta
    saved = torch.load("graphs.pt")                         # several graphs (MuSe-GNN)
    graphs = [Data.from_dict(g) for g in saved["graphs"]]   # saved["node_ids"]: shared index

:meth:`Export.load` reads them with ``weights_only=True`` and checks the content hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch_geometric.data import Batch, Data, HeteroData

from priorgraph.core.errors import ExportFileError

HOMOGENEOUS = "node"  # the node type name used for homogeneous ``Data`` exports
GRAPHS = "graphs"  # the key of the graph list in the file of a several-graph (Batch) export


def content_hash(tensors: Mapping[str, torch.Tensor], node_ids: Mapping[str, Sequence[str]]) -> str:
    """sha256 over tensor names, dtypes, shapes and bytes, and the ordered node ids."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.numpy().tobytes())
    for node_type in sorted(node_ids):
        digest.update(f"#{node_type}|".encode())
        digest.update("\n".join(node_ids[node_type]).encode())
    return digest.hexdigest()


def _tensors(data: Any) -> dict[str, torch.Tensor]:
    """Flatten a ``Data``/``HeteroData`` into ``{"store.key": tensor}`` for hashing."""
    out = {}
    for store in data.stores:
        key = getattr(store, "_key", None)
        prefix = "/".join(key) if isinstance(key, tuple) else (key or "")
        for name, value in store.items():
            if isinstance(value, torch.Tensor):
                out[f"{prefix}.{name}"] = value
    return out


@dataclass
class Export:
    """A PyG object plus what is needed to map it back to the graph and to cite it."""

    data: Any
    node_ids: dict[str, list[str]]
    meta: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""

    def __post_init__(self) -> None:
        if not self.content_hash:
            self.content_hash = content_hash(_tensors(self.data), self.node_ids)

    def index(self, node_type: str = HOMOGENEOUS) -> dict[str, int]:
        """Node id → row, for one node type."""
        return {node_id: i for i, node_id in enumerate(self.node_ids[node_type])}

    def to_file(self) -> dict[str, Any]:
        """What :meth:`save` writes: plain tensors, strings and numbers (see the module doc).

        ``Data``: ``data.to_dict()`` + ``node_ids`` (a list), ``meta``, ``content_hash``.
        ``HeteroData``: ``data.to_dict()`` with ``node_ids`` in each node type's store and
        ``meta``, ``content_hash`` in the global store. ``Batch`` (several graphs over one
        shared index): ``graphs`` (each graph's ``to_dict()``), ``node_ids``, ``meta``,
        ``content_hash``.
        """
        meta = _plain(self.meta)
        if isinstance(self.data, HeteroData):
            out = self.data.to_dict()
            for node_type, node_ids in self.node_ids.items():
                out[node_type] = {**out.get(node_type, {}), "node_ids": list(node_ids)}
            out["_global_store"] = {
                **out["_global_store"],
                "meta": meta,
                "content_hash": self.content_hash,
            }
            return out
        if isinstance(self.data, Batch):
            body: dict[str, Any] = {GRAPHS: [g.to_dict() for g in self.data.to_data_list()]}
        else:
            body = self.data.to_dict()
        return {**body, "node_ids": list(self.node_ids[HOMOGENEOUS]), "meta": meta,
                "content_hash": self.content_hash}  # fmt: skip

    @classmethod
    def from_file(cls, saved: dict[str, Any], path: str | Path) -> Export:
        """The :class:`Export` of a dictionary written by :meth:`to_file` (not yet checked
        against its hash); ``path`` names the file in errors."""
        if not isinstance(saved, dict):
            raise ExportFileError(path, f"not a priorgraph export (a {type(saved).__name__})")
        saved = dict(saved)
        if "_global_store" in saved:  # HeteroData
            store = dict(saved["_global_store"])
            meta, digest = store.pop("meta", None), store.pop("content_hash", None)
            saved["_global_store"] = store
            node_ids = {}
            for key, value in saved.items():
                if isinstance(key, str) and key != "_global_store" and "node_ids" in value:
                    value = dict(value)
                    node_ids[key] = value.pop("node_ids")
                    saved[key] = value
            data: Any = HeteroData.from_dict(saved)
        else:
            meta, digest = saved.pop("meta", None), saved.pop("content_hash", None)
            node_ids = {HOMOGENEOUS: saved.pop("node_ids", None)}
            if GRAPHS in saved:
                data = Batch.from_data_list([Data.from_dict(g) for g in saved.pop(GRAPHS)])
            else:
                data = Data.from_dict(saved)
        if digest is None or meta is None or any(ids is None for ids in node_ids.values()):
            raise ExportFileError(path, "not a priorgraph export (no node ids, meta or hash)")
        return cls(data, node_ids, meta, digest)

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_file` with ``torch.save`` (loadable by plain ``torch.load``) and
        ``<path>.ids.tsv`` (type, row, id) beside it."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(self.to_file(), path)
        with open(path.with_suffix(path.suffix + ".ids.tsv"), "w") as handle:
            handle.write("node_type\trow\tid\n")
            for node_type, ids in self.node_ids.items():
                handle.writelines(f"{node_type}\t{i}\t{node_id}\n" for i, node_id in enumerate(ids))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Export:
        """Load a saved export with ``weights_only=True`` (nothing in the file can run code) and
        check that its content still matches its hash."""
        path = Path(path)
        if not path.is_file():
            raise ExportFileError(path, "no such export file")
        try:
            saved = torch.load(path, weights_only=True)
        except Exception as err:  # torch's safe unpickler refuses, or the bytes are broken
            raise ExportFileError(
                path, f"cannot be loaded safely ({_first_line(err)}): not an export, or one "
                "written by an older priorgraph as a pickled PyG object; export it again",
            ) from err  # fmt: skip
        loaded = cls.from_file(saved, path)
        recomputed = content_hash(_tensors(loaded.data), loaded.node_ids)
        if recomputed != loaded.content_hash:
            raise ExportFileError(path, "content does not match its saved hash (file was modified)")
        return loaded

    def describe(self) -> str:
        sizes = {t: len(ids) for t, ids in self.node_ids.items()}
        return json.dumps(
            {"nodes": sizes, "hash": self.content_hash[:16], **self.meta}, default=str
        )


def _plain(value: Any) -> Any:
    """``value`` as JSON-like plain data (numpy scalars as Python numbers, tuples as lists), which
    ``torch.load(weights_only=True)`` reads."""
    return json.loads(
        json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else str(v))
    )


def _first_line(err: BaseException) -> str:
    """The telling line of an exception: torch's "WeightsUnpickler error: …" line, or the first."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    telling = [line for line in lines if line.startswith("WeightsUnpickler error")]
    return (telling or lines or [type(err).__name__])[0]
