"""Exports: Cypher rows → PyTorch Geometric objects with a saved node-id map and a content hash.

Every export (GEARS GO graph, co-expression graph, GLUE guidance graph, …) returns an
:class:`Export`, so a training run can record exactly which graph it used: row ``i`` of a node
type is the graph node ``node_ids[type][i]``, and ``content_hash`` changes whenever an index,
weight or id does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from priorgraph.core.errors import ExportFileError

HOMOGENEOUS = "node"  # the node type name used for homogeneous ``Data`` exports


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

    def save(self, path: str | Path) -> Path:
        """``torch.save`` the bundle and write ``<path>.ids.tsv`` (type, row, id) beside it."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {"data": self.data, "node_ids": self.node_ids, "meta": self.meta,
             "content_hash": self.content_hash},
            path,
        )  # fmt: skip
        with open(path.with_suffix(path.suffix + ".ids.tsv"), "w") as handle:
            handle.write("node_type\trow\tid\n")
            for node_type, ids in self.node_ids.items():
                handle.writelines(f"{node_type}\t{i}\t{node_id}\n" for i, node_id in enumerate(ids))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Export:
        """Load a saved export and check that its content still matches its hash."""
        bundle = torch.load(Path(path), weights_only=False)
        export = cls(bundle["data"], bundle["node_ids"], bundle["meta"])
        if export.content_hash != bundle["content_hash"]:
            raise ExportFileError(path, "content does not match its saved hash (file was modified)")
        return export

    def describe(self) -> str:
        sizes = {t: len(ids) for t, ids in self.node_ids.items()}
        return json.dumps(
            {"nodes": sizes, "hash": self.content_hash[:16], **self.meta}, default=str
        )
