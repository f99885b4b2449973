"""The layers import one way: a module imports only from its own layer or lower ones.

core ← kg ← ingest ← queries ← models ← priorgraph (CLI, commands, output). The modules are
found through pyproject's ``package-dir`` (``priorgraph.kg`` lives in ``kg/``, …), and every
import counts, also one inside a function or under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("priorgraph.core", "priorgraph.kg", "priorgraph.ingest", "priorgraph.queries",
          "priorgraph.models", "priorgraph")  # fmt: skip


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name, found through pyproject's package-dir."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found: dict[str, Path] = {}
    for package, folder in config["package-dir"].items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join((package, *parts))
            found.setdefault(name, path)  # a nested package-dir entry names the same files
    return found


def layer(module: str) -> int:
    """0 for core … 5 for the top (the first layer whose name prefixes the module)."""
    return next(
        i for i, name in enumerate(LAYERS) if module == name or module.startswith(name + ".")
    )


def imported(module: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """``(imported priorgraph module, line)`` for every import in the file, at any depth."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.append((full if full in known else base, node.lineno))
    return [(name, line) for name, line in out if name.split(".")[0] == "priorgraph"]


def test_the_layer_map_covers_the_package():
    found = modules()
    assert found["priorgraph.core.errors"] == ROOT / "priorgraph" / "core" / "errors.py"
    assert found["priorgraph.kg.cypher"] == ROOT / "kg" / "cypher" / "__init__.py"
    assert found["priorgraph.models.base"] == ROOT / "models" / "base.py"
    folders = ("priorgraph", "kg", "ingest", "queries", "models")
    assert len(found) == sum(len(list((ROOT / f).rglob("*.py"))) for f in folders)
    assert {layer(name) for name in found} == set(range(len(LAYERS)))


def test_no_module_imports_a_higher_layer():
    found = modules()
    known = set(found)
    upward = [
        f"{module} (layer {LAYERS[layer(module)]}) imports {target} "
        f"(layer {LAYERS[layer(target)]}) at {path.relative_to(ROOT)}:{line}"
        for module, path in sorted(found.items())
        for target, line in imported(module, path, known)
        if layer(target) > layer(module)
    ]
    assert upward == [], "upward imports:\n" + "\n".join(upward)


def test_the_check_sees_function_level_and_relative_imports(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text(
        "def f():\n    from priorgraph.models import train\n"
        "from . import cypher\nfrom priorgraph import queries\n"
    )
    known = {"priorgraph.models.train", "priorgraph.kg.cypher", "priorgraph.queries"}
    found = imported("priorgraph.kg.writer", source, known)
    assert sorted(found) == [("priorgraph.kg.cypher", 3), ("priorgraph.models.train", 2),
                             ("priorgraph.queries", 4)]  # fmt: skip
    assert [layer(name) for name, _ in sorted(found)] == [1, 4, 3]


def test_class_names_are_unique_across_the_package():
    names = Counter(
        node.name
        for path in modules().values()
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ClassDef)
    )
    assert [name for name, n in names.items() if n > 1] == []
