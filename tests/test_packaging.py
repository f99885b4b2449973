"""The built wheel installs one namespace (no bare ``models``/``queries``) with its data files."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# what a checkout has that a build must not see (a non-isolated build reuses ``build/``, which
# would carry files deleted since the last build into the wheel)
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", ".home", "build", "out", "*.egg-info",
                                    "__pycache__", ".ruff_cache", ".pytest_cache")  # fmt: skip


def test_wheel_has_one_namespace_and_imports(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(source)],
        check=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("priorgraph-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"priorgraph"}
    for required in (
        "priorgraph/kg/server.py",
        "priorgraph/kg/launcher/pom.xml",
        "priorgraph/kg/launcher/PriorgraphNeo4j.java",
        "priorgraph/kg/launcher/BrowserServer.java",
        "priorgraph/kg/cypher/graph_labels.cypher",
        "priorgraph/core/errors.py",
        "priorgraph/queries/export.py",
        "priorgraph/ingest/sources.py",
        "priorgraph/models/__init__.py",
    ):
        assert required in names

    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    probe = (
        "import priorgraph.kg.server as s, priorgraph.kg.cypher as q;"
        "print(s.__file__); print(len(q.names()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0].startswith(str(unpacked))
    assert int(out[1]) == len(list((ROOT / "kg" / "cypher").glob("*.cypher")))
