"""Issue 15, "a server that dies mid-write prints a traceback": a lost connection is one line
that says whether the load was rolled back, and that it can be re-run; the graph holds nothing
of the load, and re-running completes it."""

from __future__ import annotations

import click
import pytest
from neo4j.exceptions import ServiceUnavailable, SessionExpired

from priorgraph.commands.reporting import LOST_CONNECTION, cli_errors

BOLT_COMMIT = b"\x00\x02\xb0\x12\x00\x00"  # one chunk holding Bolt's COMMIT message, then 00 00
COUNTS = "MATCH (n) WITH count(n) AS nodes MATCH ()-[r]->() RETURN nodes, count(r) AS rels"


def annotations(tmp_path):
    path = tmp_path / "ann.tsv"
    path.write_text("KLF1\tGO:0000001\nGATA1\tGO:0000002\n")
    return path


def counts(graph) -> dict:
    rows = graph.read(COUNTS)
    return rows[0] if rows else {"nodes": 0, "rels": 0}


def test_lost_before_the_commit_rolls_back_and_the_load_can_be_rerun(
    cli, graph, neo4j_settings, tmp_path, tiny_obo, cutting_proxy, monkeypatch, one_line_error
):
    table = annotations(tmp_path)
    # the terms are written first, then the connection goes while the annotations are sent
    proxy = cutting_proxy(b"ANNOTATED_WITH")
    monkeypatch.setenv("NEO4J_URI", proxy.uri)
    result = cli("ingest", "go", "--obo", tiny_obo, "--table", table)
    line = one_line_error(
        result, f"lost the connection to Neo4j at {proxy.uri} during a write: the server rolled "
        "the transaction back, nothing of it is in the graph; re-run the command",
    )  # fmt: skip
    assert proxy.cut.is_set() and line.endswith("once the server answers again")
    assert counts(graph) == {"nodes": 0, "rels": 0}
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.uri)
    again = cli("ingest", "go", "--obo", tiny_obo, "--table", table)
    assert again.exit_code == 0, again.output
    assert counts(graph) == {"nodes": 6, "rels": 3}  # terms, genes, 2 Sources; IS_A, 2 annotations


def test_lost_during_the_commit_says_the_load_may_or_may_not_be_in(
    cli, graph, tmp_path, tiny_obo, cutting_proxy, monkeypatch, one_line_error
):
    proxy = cutting_proxy(BOLT_COMMIT)
    monkeypatch.setenv("NEO4J_URI", proxy.uri)
    result = cli("ingest", "go", "--obo", tiny_obo, "--table", annotations(tmp_path))
    line = one_line_error(result, f"lost the connection to Neo4j at {proxy.uri} while committing")
    assert "the write may or may not be in the graph" in line and "re-run the command" in line
    assert counts(graph) == {"nodes": 0, "rels": 0}  # the COMMIT never reached the server


@pytest.mark.parametrize("error", [ServiceUnavailable("defunct"), SessionExpired("gone")])
def test_any_other_lost_connection_is_one_message(error):
    with pytest.raises(click.ClickException) as caught, cli_errors():
        raise error
    assert caught.value.message == LOST_CONNECTION and "\n" not in LOST_CONNECTION
