import dataclasses

import pytest
from neo4j.exceptions import ClientError

from priorgraph.core.config import Neo4jSettings
from priorgraph.core.errors import GraphConnectionError, ReadOnlyQueryError
from priorgraph.kg.connection import Graph, resolve_settings
from priorgraph.kg.server import LocalServer, free_port


def test_settings_come_from_neo4j_variables_or_the_local_server(monkeypatch, tmp_path):
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://example.org")
    monkeypatch.setenv("NEO4J_USER", "alice")
    monkeypatch.setenv("NEO4J_PASSWORD", "pw")
    monkeypatch.setenv("NEO4J_DATABASE", "priors")
    assert resolve_settings() == Neo4jSettings("neo4j+s://example.org", "alice", "pw", "priors",
                                               local=False)  # fmt: skip
    monkeypatch.delenv("NEO4J_URI")
    monkeypatch.delenv("NEO4J_PASSWORD")
    monkeypatch.setenv("PRIORGRAPH_HOME", str(tmp_path))
    monkeypatch.setenv("PRIORGRAPH_BOLT_PORT", "7999")
    local = resolve_settings()
    assert (local.uri, local.user, local.password, local.local) == (
        "bolt://127.0.0.1:7999", "neo4j", None, True)  # fmt: skip
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "password").write_text("generated\n")
    assert resolve_settings().password == LocalServer.default().read_password() == "generated"


def test_wrong_password_gives_a_clear_authentication_error(neo4j_settings):
    bad = dataclasses.replace(neo4j_settings, password="not-the-password")
    with Graph(bad) as graph, pytest.raises(GraphConnectionError, match="authentication failed"):
        graph.verify()


def test_no_server_gives_a_clear_error():
    settings = Neo4jSettings(f"bolt://127.0.0.1:{free_port()}", "neo4j", "x", "neo4j", local=True)
    with (
        Graph(settings) as graph,
        pytest.raises(GraphConnectionError, match="priorgraph server start"),
    ):
        graph.verify()


def test_missing_password_is_reported_before_connecting():
    settings = Neo4jSettings("bolt://127.0.0.1:1", "neo4j", None, "neo4j", local=False)
    with pytest.raises(GraphConnectionError, match="set NEO4J_PASSWORD"):
        Graph(settings)


def test_reads_refuse_writes_before_and_in_the_server(graph):
    with pytest.raises(ReadOnlyQueryError, match="pass --write"):  # the check, before running
        graph.read("CREATE (:Gene {id: 'human:X'})")
    with pytest.raises(ClientError, match="Writing in read access mode not allowed"):
        graph.read_tx(lambda tx: tx.run("CREATE (:Gene {id: 'human:X'})").consume())
    assert graph.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]


def test_explicit_transaction_rolls_back_on_error(graph):
    with pytest.raises(RuntimeError), graph.transaction() as tx:
        tx.run("CREATE (:Gene {id: 'human:Y'})").consume()
        raise RuntimeError("boom")
    assert graph.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
