"""Load bulk CSV files into a new store with Neo4j's batch importer, check it, swap it in.

* :func:`import_store` runs ``neo4j-admin database import full`` in-process
  (``launcher/PriorgraphImport.java``: the importer's classes are among the embedded DBMS's
  jars) into ``STAGING/data/{databases,transactions}/neo4j``, then opens the new store with the
  embedded API (nothing listens), creates the constraints and indexes (the record format takes
  no ``--schema``), waits for them and reads the counts per label and type.
* :func:`swap_store` stops the local server, moves its store aside, moves the new one in,
  starts the server and checks over Bolt that it serves what the build wrote (counts per
  label and type, every constraint and index online); only then is the old store deleted. Any
  failure moves the old store back and starts the server on it: a broken store can come up
  "online" with 0 nodes, so the counts are what prove a swap.
* :func:`admin_command` is the same import for a Neo4j priorgraph does not manage (a
  cluster's primary), as a command line to run there.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from priorgraph.core.errors import ServerError
from priorgraph.kg import cypher, schema
from priorgraph.kg.bulk import BulkFiles
from priorgraph.kg.connection import Graph
from priorgraph.kg.server import JVM_FLAGS, LocalServer, java_executable, provision

DATABASE = "neo4j"
IMPORT_CLASS = "PriorgraphImport"
EMPTY_LIST_BATCH = 100_000  # relationships or nodes given an empty list per transaction
logger = logging.getLogger(__name__)


class VerificationError(ServerError):
    """A built store does not hold what the build wrote (the swap is rolled back)."""


@dataclass(frozen=True)
class Expected:
    """What a built store must hold: nodes per label, relationships per type, the schema."""

    labels: dict[str, int]
    types: dict[str, int]
    schema: frozenset[str]

    @classmethod
    def of(cls, files: BulkFiles) -> Expected:
        names = {s.split(" IF NOT EXISTS")[0].split()[2] for s in schema.statements()}
        return cls(dict(files.labels), dict(files.types), frozenset(names | set(files.indexes)))

    def mismatches(self, rows: Mapping[str, list[dict[str, Any]]]) -> list[str]:
        """Differences between this and the check's rows (``labels``, ``types``, ``indexes``,
        ``constraints``); empty when the store is as built."""
        labels = {r["label"]: r["count"] for r in rows.get("labels", [])}
        types = {r["type"]: r["count"] for r in rows.get("types", [])}
        out = [f"{label} nodes: {labels.get(label, 0)}, built {n}"
               for label, n in self.labels.items() if labels.get(label, 0) != n]  # fmt: skip
        out += [f"{label} nodes: {n}, built none" for label, n in labels.items()
                if label not in self.labels]  # fmt: skip
        out += [f"{t} relationships: {types.get(t, 0)}, built {n}"
                for t, n in self.types.items() if types.get(t, 0) != n]  # fmt: skip
        out += [f"{t} relationships: {n}, built none" for t, n in types.items()
                if t not in self.types]  # fmt: skip
        present = {r["name"] for r in rows.get("indexes", []) if r["state"] == "ONLINE"}
        present |= {r["name"] for r in rows.get("constraints", [])}
        out += [f"constraint or index {name} missing or not online"
                for name in sorted(self.schema - present)]  # fmt: skip
        return out


CHECK_QUERIES = {
    "labels": "graph_labels",
    "types": "build_relationship_counts",
    "indexes": "build_schema",
    "constraints": "build_constraints",
}


def import_store(
    files: BulkFiles,
    staging: str | Path,
    *,
    heap: str = "1g",
    runtime_root: Path | None = None,
) -> dict[str, Any]:
    """Import ``files`` into a new store under ``staging`` (emptied first), create the schema
    and check the counts and schema against ``files`` offline.

    Returns the importer's result (``import_seconds``, ``nodes``, ``relationships``,
    ``check_seconds``, …). Raises :class:`ServerError` when the import fails and
    :class:`VerificationError` when the new store does not hold what was written.
    """
    staging = Path(staging)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    runtime = provision(runtime_root) if runtime_root else provision()
    spec = {
        "import_args": [
            *files.import_args(),
            "--threads=" + str(os.cpu_count() or 2),
            "--max-off-heap-memory=" + heap,
        ],
        "statements": [
            *(
                {
                    "find": cypher.load(find),
                    "query": cypher.load(update),
                    "parameters": params,
                    "batch": EMPTY_LIST_BATCH,
                }
                for find, update, params in files.statements()
            ),
            *({"query": s} for s in schema.statements()),
            *({"query": q, "parameters": p} for q, p in files.indexes.values()),
        ],
        "queries": {name: cypher.load(query) for name, query in CHECK_QUERIES.items()},
        "pagecache": "256m",
    }
    (staging / "spec.json").write_text(json.dumps(spec, indent=1))
    result_file = staging / "result.json"
    cmd = [
        java_executable(), f"-Xmx{heap}", *(f for f in JVM_FLAGS if f != "-XX:+DisableExplicitGC"),
        "-cp", f"{runtime / 'classes'}{os.pathsep}{runtime / 'lib' / '*'}", IMPORT_CLASS,
        "--home", str(staging), "--database", DATABASE, "--spec", str(staging / "spec.json"),
        "--result", str(result_file),
    ]  # fmt: skip
    logger.info("importing %s into %s", files.directory, staging)
    with open(staging / "import.log", "w") as log:
        done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
    try:
        result = json.loads(result_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        result = {"exit": done.returncode}
    if done.returncode != 0 or result.get("exit") != 0:
        tail = "\n".join((staging / "import.log").read_text(errors="replace").splitlines()[-15:])
        raise ServerError(
            f"the batch import failed ({result.get('error') or 'exit ' + str(done.returncode)}); "
            f"log: {staging / 'import.log'}\n{tail}"
        )
    bad = Expected.of(files).mismatches(result.get("rows", {}))
    if bad:
        raise VerificationError(
            "the imported store does not hold what was built: " + "; ".join(bad)
        )
    return result


def _store_dirs(data: Path) -> tuple[Path, Path]:
    return data / "databases" / DATABASE, data / "transactions" / DATABASE


def check_online(graph: Graph, expected: Expected) -> list[str]:
    """:meth:`Expected.mismatches` of the running server's database."""
    rows = {name: cypher.run(graph, query) for name, query in CHECK_QUERIES.items()}
    return expected.mismatches(rows)


def swap_store(
    server: LocalServer,
    staging: str | Path,
    expected: Expected,
    *,
    timeout: float = 180.0,
) -> dict[str, Any]:
    """Swap the store imported under ``staging`` in for ``server``'s ``neo4j`` database.

    The server is stopped, its store moved aside, the new one moved in and the server
    started; :func:`check_online` must then find ``expected``. On any failure the new store is
    moved back under ``staging`` (``failed/``), the old one restored and the server started on
    it, and the error raised. The old store is deleted once the new one is verified.
    """
    staging = Path(staging)
    new = _store_dirs(staging / "data")
    live = _store_dirs(server.dbms_home / "data")
    backup_root = staging / "previous"
    backup = _store_dirs(backup_root)
    was_running = server.stop()
    shutil.rmtree(backup_root, ignore_errors=True)
    moved_old = []
    t0 = time.perf_counter()
    try:
        for src, dst in zip(live, backup, strict=True):
            if src.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                src.rename(dst)
                moved_old.append((src, dst))
        for src, dst in zip(new, live, strict=True):
            dst.parent.mkdir(parents=True, exist_ok=True)
            src.rename(dst)
        server.start(timeout=timeout)
        graph = Graph(server.settings())
        try:
            bad = check_online(graph, expected)
        finally:
            graph.close()
        if bad:
            raise VerificationError(
                "the new store does not serve what was built: " + "; ".join(bad)
            )
    except BaseException:
        _roll_back(server, live, staging, moved_old, was_running, timeout)
        raise
    shutil.rmtree(backup_root, ignore_errors=True)
    return {"swap_seconds": time.perf_counter() - t0, "was_running": was_running}


def _roll_back(server, live, staging, moved_old, was_running, timeout) -> None:
    """Put the old store back (the new one goes to ``staging/failed``) and restart."""
    logger.warning("rolling back to the previous store")
    server.stop()
    failed = _store_dirs(staging / "failed")
    for src, dst in zip(live, failed, strict=True):
        if src.exists():
            shutil.rmtree(dst, ignore_errors=True)
            dst.parent.mkdir(parents=True, exist_ok=True)
            src.rename(dst)
    for src, dst in moved_old:
        dst.rename(src)
    if was_running or moved_old:
        server.start(timeout=timeout)


def admin_command(files: BulkFiles, *, database: str = DATABASE) -> str:
    """The ``neo4j-admin database import full`` command that loads ``files`` into a Neo4j of
    one's own (on a cluster: on the primary, then ``CREATE DATABASE`` it from there)."""
    args = ["neo4j-admin", "database", "import", "full", *files.import_args(),
            "--overwrite-destination=true", database]  # fmt: skip
    return " ".join(_shell_word(a) for a in args)


def _shell_word(arg: str) -> str:
    """``arg`` quoted for a POSIX shell; control characters (the array delimiter) as bash's
    ``$'\\xNN'``, so the printed command can be copied."""
    if arg.isprintable():
        return shlex.quote(arg)
    escaped = "".join(c if c.isprintable() and c not in "'\\" else f"\\x{ord(c):02x}" for c in arg)
    return f"$'{escaped}'"
