"""A train/val/test split of a Perturb-seq data set's conditions, saved as JSON.

Shared by the ingest (which makes splits: :mod:`priorgraph.ingest.splits`), the queries and the
models (which train and evaluate on them).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from priorgraph.core.errors import SplitFileError
from priorgraph.core.names import check_name
from priorgraph.core.utils import read_json


@dataclass
class Split:
    """Condition lists of one split; ``subgroups`` name the test conditions by kind."""

    name: str
    dataset: str
    kind: str
    seed: int
    train: list[str]
    val: list[str]
    test: list[str]
    subgroups: dict[str, list[str]] = field(default_factory=dict)
    val_subgroups: dict[str, list[str]] = field(default_factory=dict)
    params: dict[str, float | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_name(self.name, what="split")

    def assignment(self) -> dict[str, str]:
        """Condition → ``train`` / ``val`` / ``test``."""
        out = {c: "train" for c in self.train}
        out.update({c: "val" for c in self.val})
        out.update({c: "test" for c in self.test})
        return out

    def subgroup_of(self) -> dict[str, str]:
        """Test condition → its subgroup."""
        return {c: g for g, conds in self.subgroups.items() for c in conds}

    def save(self, directory: Path, *, overwrite: bool = False) -> Path:
        """Write ``<directory>/<name>.json``; refuse to replace a different split of that name."""
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / f"{self.name}.json"
        text = json.dumps(asdict(self), indent=2, sort_keys=True)
        if target.is_file() and not overwrite and target.read_text() != text:
            raise SplitFileError(
                target, f"a different split named {self.name!r} exists (choose another name)"
            )
        target.write_text(text)
        return target

    @classmethod
    def load(cls, path: Path) -> Split:
        """Read ``<name>.json`` (a SplitFileError when there is no such split)."""
        if not path.is_file():
            raise SplitFileError(path, "no such split")
        return cls(**read_json(path, error=SplitFileError))
