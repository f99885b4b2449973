import json
import logging

import click
from click.testing import CliRunner

from priorgraph.cli import main
from priorgraph.commands.common import parse_param
from priorgraph.commands.groups import export, ingest
from priorgraph.kg import cypher


def test_every_lazy_command_resolves_to_a_click_command():
    ctx = click.Context(main)
    for group in (main, ingest, export):
        for name in group.lazy:
            assert isinstance(group.get_command(ctx, name), click.Command), name
    assert {"go", "perturbseq", "genept"} <= set(ingest.lazy)


def test_help_lists_commands_without_importing_them():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "similar-genes  Nearest genes by embedding (vector index)." in result.output


def test_parse_param_reads_json_values_and_keeps_other_text():
    assert parse_param("k=3") == ("k", 3)
    assert parse_param('k=["a", 1]') == ("k", ["a", 1])
    assert parse_param('k=x"}) DETACH DELETE n //') == ("k", 'x"}) DETACH DELETE n //')
    assert parse_param("k=a=b") == ("k", "a=b")


def test_cypher_prints_one(cli):
    result = cli("cypher", "RETURN 1 AS x", "--format", "csv")
    assert result.exit_code == 0
    assert result.output.splitlines() == ["x", "1"]


def test_cypher_without_write_refuses_to_write(cli, graph):
    result = cli("cypher", "CREATE (:Gene {id: 'human:Z'})")
    assert result.exit_code == 1
    assert "pass --write" in result.output
    assert graph.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]


def test_cypher_write_and_parameter_injection_is_data(cli, graph):
    evil = 'x"}) DETACH DELETE n //'
    created = cli("cypher", "CREATE (g:Gene {id: $id}) RETURN g.id AS id", "--write",
                  "--param", f"id={evil}", "--format", "json")  # fmt: skip
    assert created.exit_code == 0
    assert json.loads(created.output) == [{"id": evil}]
    assert graph.read("MATCH (g:Gene) RETURN g.id AS id") == [{"id": evil}]


def test_stats_counts_labels_and_relationship_types(cli, graph):
    graph.write(
        "CREATE (:Gene {id:'a'})-[:GO_SIMILAR {graph: 'g'}]->(:Gene {id:'b'})"
        "-[:ANNOTATED_WITH]->(:GOTerm {id:'GO:1'})"
    )
    result = cli("stats", "--format", "json")
    assert result.exit_code == 0
    # GO_SIMILAR is a versioned type: an edge of no set version is not seen, nor counted
    assert json.loads(result.output) == [
        {"kind": "label", "name": "GOTerm", "count": 1},
        {"kind": "label", "name": "Gene", "count": 2},
        {"kind": "relationship", "name": "ANNOTATED_WITH", "count": 1},
    ]
    adopted = cli("schema", "apply")  # a graph of an earlier version: its sets are adopted
    assert "GO_SIMILAR: 1 relationships of earlier sets made current" in adopted.output
    assert json.loads(cli("stats", "--format", "json").output) == [
        {"kind": "label", "name": "GOTerm", "count": 1},
        {"kind": "label", "name": "Gene", "count": 2},
        {"kind": "label", "name": "RelationshipSet", "count": 1},
        {"kind": "relationship", "name": "ANNOTATED_WITH", "count": 1},
        {"kind": "relationship", "name": "GO_SIMILAR", "count": 1},
    ]


def test_wrong_password_exits_nonzero_with_message(cli, monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", "wrong")
    result = cli("cypher", "RETURN 1")
    assert result.exit_code == 1
    assert "authentication failed for user 'neo4j'" in result.output


def test_schema_apply_is_idempotent(cli):
    first, second = cli("schema", "apply"), cli("schema", "apply")
    assert first.exit_code == second.exit_code == 0
    assert first.output == second.output


def test_expected_failures_are_one_message_and_bugs_show_their_traceback(tmp_path, monkeypatch):
    from priorgraph.commands import perturb
    from priorgraph.core.errors import SplitFileError

    monkeypatch.setenv("PRIORGRAPH_HOME", str(tmp_path))
    runner = CliRunner()
    missing = runner.invoke(main, ["split", "show", "toy", "nope"])
    assert missing.exit_code == 1 and isinstance(missing.exception, SystemExit)
    assert missing.output.startswith("Error: ") and "nope.json: no such split" in missing.output
    debug = runner.invoke(main, ["--debug", "split", "show", "toy", "nope"])
    assert debug.exit_code == 1 and isinstance(debug.exception, SplitFileError)

    def bug(*args, **kwargs):
        raise ValueError("a shape bug")

    monkeypatch.setattr(perturb, "load_split", bug)
    failed = runner.invoke(main, ["split", "show", "toy", "nope"])
    assert failed.exit_code == 1 and isinstance(failed.exception, ValueError)


def test_debug_sets_the_library_log_level():
    from rich.logging import RichHandler

    logger = logging.getLogger("priorgraph")
    runner = CliRunner()
    assert runner.invoke(main, ["--debug", "query", "--format", "csv"]).exit_code == 0
    assert logger.level == logging.DEBUG
    assert runner.invoke(main, ["query", "--format", "csv"]).exit_code == 0
    assert logger.level == logging.WARNING
    assert sum(isinstance(h, RichHandler) for h in logger.handlers) == 1


def test_query_lists_the_read_queries_and_refuses_to_run_a_write():
    runner = CliRunner()
    listed = runner.invoke(main, ["query", "--format", "json"])
    assert listed.exit_code == 0
    rows = {r["query"]: r for r in json.loads(listed.output)}
    assert set(rows) == set(cypher.names(mode="read")) and "runs_delete" not in rows
    assert rows["go_neighbours"]["parameters"] == "gene, go_graph"
    assert rows["go_neighbours"]["description"].startswith("The GO-graph neighbours of gene")
    refused = runner.invoke(main, ["query", "runs_delete", "-p", "run=x"])
    assert refused.exit_code == 1 and "runs_delete writes" in refused.output


def test_query_list_table_shows_every_query_whole_when_piped():
    listed = CliRunner().invoke(main, ["query"])  # CliRunner's stdout is not a terminal
    assert listed.exit_code == 0 and "…" not in listed.output
    first_column = [line.split("│")[1].strip() for line in listed.output.splitlines()
                    if line.startswith("│")]  # fmt: skip
    assert [name for name in first_column if name] == cypher.names(mode="read")
    words = " ".join(listed.output.replace("│", " ").split())
    for name in cypher.names(mode="read"):  # every description, whole (wrapped at spaces)
        assert all(word in words for word in cypher.get(name).description.split())


def test_query_write_refusal_names_the_command_that_runs_it():
    from priorgraph.commands.graph import WRITERS, write_hint

    for name in cypher.names(mode="write"):  # every writing query has its command
        assert any(name.startswith(prefix) for prefix in WRITERS), name
    refused = CliRunner().invoke(main, ["query", "runs_delete", "-p", "run=x"])
    assert refused.exit_code == 1
    assert refused.output.strip() == f"Error: {write_hint('runs_delete')}"
    assert "`priorgraph runs delete RUN` runs it" in refused.output
    assert "`priorgraph cypher --write`" in refused.output and "pass --write" not in refused.output


def test_query_checks_parameters_before_it_connects(monkeypatch):
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")  # nothing listens: never reached
    missing = CliRunner().invoke(main, ["query", "go_neighbours", "-p", "gene=human:KLF1"])
    assert missing.exit_code == 1
    assert "go_neighbours: missing go_graph (its parameters: gene, go_graph" in missing.output
    typo = CliRunner().invoke(main, ["query", "go_term_ancestors", "-p", "trem=GO:1"])
    assert "missing term; unknown trem" in typo.output


def test_an_empty_result_prints_zero_rows(cli):
    result = cli("query", "go_neighbours", "-p", "gene=human:NOPE", "-p", "go_graph=none")
    assert result.exit_code == 0 and result.output == "0 rows\n"
    header = cli("query", "go_neighbours", "-p", "gene=human:NOPE", "-p", "go_graph=none",
                 "--format", "csv")  # fmt: skip
    assert header.output == "neighbour,rank,jaccard,shared_terms\n"
