import dataclasses

import pytest

from priorgraph.config import Neo4jSettings
from priorgraph.kg.connection import Graph, GraphConnectionError
from priorgraph.kg.server import free_port


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


def test_read_transactions_refuse_writes(graph):
    with pytest.raises(Exception, match="Writing in read access mode not allowed"):
        graph.read("CREATE (:Gene {id: 'human:X'})")
    assert graph.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]


def test_explicit_transaction_rolls_back_on_error(graph):
    with pytest.raises(RuntimeError), graph.transaction() as tx:
        tx.run("CREATE (:Gene {id: 'human:Y'})").consume()
        raise RuntimeError("boom")
    assert graph.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
