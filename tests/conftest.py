"""Fixtures: a real Neo4j for the ``neo4j`` tests, started once per test session, clean per test.

By default the session provisions a throw-away local server (own data directory under pytest's
tmp dir, a free port, generated password), so test runs never touch a user's graph and parallel
runs do not collide. ``PRIORGRAPH_TEST_NEO4J_URI`` / ``..._USER`` / ``..._PASSWORD`` use an
existing server instead (its database is wiped before every test).

Clean per test (:func:`reset_graph`): every node and relationship is deleted, and so is every
constraint and index a test created (vector indexes, a retired index); the schema of
``kg.schema`` is then what the graph has, re-applied when a test dropped part of it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from priorgraph.core.config import Neo4jSettings
from priorgraph.kg import schema
from priorgraph.kg.connection import Graph
from priorgraph.kg.server import LocalServer, free_port

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses a server fixture carries the ``neo4j`` marker (``-m 'not neo4j'``)."""
    for item in items:
        if {"graph", "neo4j_settings", "local_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.neo4j)


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A project-managed server of this test session, with Neo4j Browser (skipped when an
    external one is given)."""
    if os.environ.get("PRIORGRAPH_TEST_NEO4J_URI"):
        pytest.skip("tests use the external server in PRIORGRAPH_TEST_NEO4J_URI")
    server = LocalServer(
        home=tmp_path_factory.mktemp("neo4j"), port=free_port(), heap="768m", pagecache="128m",
        http_port=free_port(),  # Neo4j Browser too, as `priorgraph server start` runs it
    )  # fmt: skip
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def neo4j_settings(request: pytest.FixtureRequest) -> Neo4jSettings:
    uri = os.environ.get("PRIORGRAPH_TEST_NEO4J_URI")
    if uri:
        return Neo4jSettings(
            uri=uri,
            user=os.environ.get("PRIORGRAPH_TEST_NEO4J_USER", "neo4j"),
            password=os.environ["PRIORGRAPH_TEST_NEO4J_PASSWORD"],
            database=os.environ.get("PRIORGRAPH_TEST_NEO4J_DATABASE", "neo4j"),
            local=False,
        )
    server: LocalServer = request.getfixturevalue("local_server")
    return Neo4jSettings(server.uri, "neo4j", server.read_password(), "neo4j", local=True)


def _schema_names(graph: Graph) -> tuple[set[str], set[str]]:
    """Names of the constraints and of the indexes (token-lookup indexes left out)."""
    constraints = {r["name"] for r in graph.read("SHOW CONSTRAINTS YIELD name")}
    indexes = {
        r["name"] for r in graph.read("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'")
    }
    return constraints, indexes


@pytest.fixture(scope="session")
def schema_names(neo4j_settings: Neo4jSettings) -> frozenset[str]:
    """The constraints and indexes of ``kg.schema`` (their backing indexes included)."""
    with Graph(neo4j_settings) as graph:
        schema.apply_schema(graph)
        constraints, indexes = _schema_names(graph)
    return frozenset(constraints | indexes)


def reset_graph(graph: Graph, expected: frozenset[str]) -> None:
    """Delete every node and relationship and every constraint or index outside ``expected``
    (the schema), then re-apply the schema if a test had dropped part of it."""
    graph.write("MATCH (n) DETACH DELETE n")
    constraints, indexes = _schema_names(graph)
    for name in sorted(constraints - expected):
        graph.write(f"DROP CONSTRAINT {schema.ident(name)} IF EXISTS")
    for name in sorted(indexes - constraints - expected):
        graph.write(f"DROP INDEX {schema.ident(name)} IF EXISTS")
    if not expected <= constraints | indexes:
        schema.apply_schema(graph)


@pytest.fixture(scope="session")
def clean_graph(schema_names: frozenset[str]) -> Callable[[Graph], None]:
    """:func:`reset_graph` with the schema, for fixtures that prepare a graph once per module."""
    return lambda graph: reset_graph(graph, schema_names)


@pytest.fixture
def graph(neo4j_settings: Neo4jSettings, schema_names: frozenset[str]) -> Iterator[Graph]:
    """A connection to an empty graph with exactly the schema of ``kg.schema``; see the module
    docstring."""
    with Graph(neo4j_settings) as g:
        reset_graph(g, schema_names)
        yield g


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data mirror (../shared/data); tests that need it skip with a reason without it."""
    path = Path(os.environ.get("PRIORGRAPH_DATA_DIR") or SHARED_DATA)
    if not path.is_dir():
        pytest.skip(f"real data mirror not present at {path}")
    return path


@pytest.fixture(autouse=True)
def gene_reference(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands resolve gene names against the real reference tables only in tests that use the
    real data (``shared_data``): the hand-made genes of the other tests (G0…G11, A1…) are
    aliases of real genes (A3 is TCIRG1) and would be renamed."""
    if "shared_data" not in request.fixturenames:
        monkeypatch.setenv("PRIORGRAPH_GENE_REFERENCE", "none")


@pytest.fixture
def cli(neo4j_settings: Neo4jSettings, graph: Graph, monkeypatch, tmp_path):
    """Run ``priorgraph …`` against the test server, as a user would (``NEO4J_*`` variables),
    with ``PRIORGRAPH_HOME`` (data sets, runs, caches) in the test's tmp_path."""
    from click.testing import CliRunner

    from priorgraph.cli import main

    monkeypatch.setenv("NEO4J_URI", neo4j_settings.uri)
    monkeypatch.setenv("NEO4J_USER", neo4j_settings.user)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.password)
    monkeypatch.setenv("PRIORGRAPH_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
