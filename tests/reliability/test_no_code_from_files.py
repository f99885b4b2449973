"""Issue 15, "a GEARS pickle runs code": no data file can run code in priorgraph.

Every pickle reader goes through the one restricted unpickler; a pickle that would call
``os.system`` is refused with one line naming the file, and the command it names never runs.
The source scan keeps it so: no plain ``pickle.load``, no ``torch.load(weights_only=False)``,
no ``allow_pickle=True`` anywhere in the package.
"""

from __future__ import annotations

import ast
import os
import pickle
import zipfile
from pathlib import Path

import pytest

from priorgraph.core.errors import EmbeddingFileError, GOFileError
from priorgraph.ingest import genept, go

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS = ("priorgraph", "kg", "ingest", "queries", "models", "bench")


class RunsCode:
    """A pickled object whose unpickling calls ``os.system("touch <marker>")``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def hostile(path: Path, marker: Path, wrap=lambda x: x) -> Path:
    path.write_bytes(pickle.dumps(wrap({"KLF1": RunsCode(marker)})))
    return path


@pytest.mark.parametrize("on_error", ["raise", "skip"])
def test_hostile_gears_pickle_is_refused_through_the_cli(
    cli, graph, tmp_path, tiny_obo, one_line_error, on_error
):
    marker = tmp_path / "ran"
    path = hostile(tmp_path / "gene2go_all.pkl", marker)
    result = cli("ingest", "go", "--obo", tiny_obo, "--gears-pickle", path, "--on-error", on_error)
    line = one_line_error(result, f"{path}: refused: the pickle would call ")
    assert "system" in line
    assert not marker.exists()
    assert graph.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]  # nothing written


def test_hostile_gears_pickle_is_refused_by_the_library(tmp_path):
    marker = tmp_path / "ran"
    path = hostile(tmp_path / "gene2go.pkl", marker)
    with pytest.raises(GOFileError, match="refused: the pickle would call"):
        go.read_gears_pickle(path, go.go_problems("skip"))
    assert not marker.exists()


def test_hostile_genept_pickle_and_zip_member_are_refused_through_the_cli(
    cli, graph, tmp_path, one_line_error
):
    marker = tmp_path / "ran"
    path = hostile(tmp_path / "GenePT_gene_embedding_ada_text.pickle", marker)
    result = cli("ingest", "genept", path, "--model", "m", "--reference", "none")
    one_line_error(result, f"{path}: refused: the pickle would call ")
    archive = tmp_path / "GenePT_emebdding_v2.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("GenePT_emebdding_v2/emb.pickle", pickle.dumps({"A": RunsCode(marker)}))
    result = cli("ingest", "genept", archive, "--member", "GenePT_emebdding_v2/emb.pickle",
                 "--model", "m", "--reference", "none")  # fmt: skip
    one_line_error(result, f"{archive}!GenePT_emebdding_v2/emb.pickle: refused: the pickle")
    assert not marker.exists()
    assert graph.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]


def test_hostile_genept_pickle_is_refused_by_the_library(tmp_path):
    marker = tmp_path / "ran"
    path = hostile(tmp_path / "emb.pkl", marker)
    with pytest.raises(EmbeddingFileError, match="refused: the pickle would call"):
        genept.read_entries(path)
    assert not marker.exists()


def unsafe_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """Calls that can run code from a file: ``pickle.load(s)``, an ``Unpickler``, ``torch.load``
    without ``weights_only=True``, any ``weights_only=False`` or ``allow_pickle=True``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases]
            found += [(node.lineno, f"class {node.name}({b})") for b in bases if "Unpickler" in b]
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
        if (
            name in ("pickle.load", "pickle.loads", "pickle.Unpickler")
            or (name == "torch.load" and keywords.get("weights_only") != "True")
            or keywords.get("weights_only") == "False"
            or keywords.get("allow_pickle") == "True"
        ):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_scan_finds_unsafe_calls():
    code = (
        "import pickle, torch\n"
        "class U(pickle.Unpickler): pass\n"
        "pickle.load(f)\ntorch.load(p)\ntorch.load(p, weights_only=False)\n"
        "np.load(p, allow_pickle=True)\ntorch.load(p, weights_only=True)\n"
    )
    assert [line for line, _ in unsafe_calls(ast.parse(code))] == [2, 3, 4, 5, 6]


def test_no_module_unpickles_or_loads_torch_files_unsafely():
    """The one unpickler lives in priorgraph/core/datafiles.py; nothing else unpickles."""
    found = []
    for folder in PACKAGE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if where == "priorgraph/core/datafiles.py":
                continue
            found += [
                f"{where}:{n}: {call}" for n, call in unsafe_calls(ast.parse(path.read_text()))
            ]
    assert found == []
