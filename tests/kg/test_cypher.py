import re
from pathlib import Path

import pytest

from priorgraph.core.errors import ReadOnlyQueryError, UsageError
from priorgraph.kg import cypher, read_only

DOCS = Path(__file__).resolve().parents[2] / "docs" / "queries.md"
WRITES = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|DROP)\b|db\.create\.", re.IGNORECASE)


def documented() -> dict[str, tuple[str, ...]]:
    """``{query: parameters}`` from the tables of docs/queries.md."""
    rows = re.findall(r"^\| `(\w+)` \| ([^|]*) \|", DOCS.read_text(), flags=re.MULTILINE)
    return {name: tuple(sorted(re.findall(r"`(\w+)`", params))) for name, params in rows}


def test_every_named_query_is_documented_with_its_parameters():
    docs = documented()
    assert [n for n in cypher.names() if n not in docs] == []
    assert {n: cypher.get(n).parameters for n in cypher.names()} == {
        n: docs[n] for n in cypher.names()
    }


def test_every_file_has_a_header_and_its_mode_matches_what_it_does():
    for name in cypher.names():
        query = cypher.get(name)
        assert query.text.startswith(f"// {query.description}\n"), name
        assert query.description and not query.description.startswith("mode:"), name
        writes = bool(WRITES.search(cypher.code(query.text)))
        assert (query.mode == "write") == writes, f"{name}: mode {query.mode}, writes {writes}"
    modes = {mode: set(cypher.names(mode=mode)) for mode in ("read", "write", "admin")}
    assert set.union(*modes.values()) == set(cypher.names())
    assert modes["admin"] == {"sets_transactions_before"}
    assert {"runs_write_effects", "genept_store", "sets_publish"} <= set(cypher.names(mode="write"))


def test_parameters_are_read_outside_comments_and_strings():
    text = """// $in_comment
    MATCH (n:$(label) {id: $id}) /* $block */
    WHERE n.name = '$not_a_parameter' AND n.x = "it's $quoted" AND n.y IN $values
    RETURN n.`$weird` AS w, $id AS again"""
    assert cypher.parameters(text) == ("id", "values")


def test_headers_are_checked():
    with pytest.raises(ValueError, match="first line must be"):
        cypher.parse("bad", "MATCH (n) RETURN n")
    with pytest.raises(ValueError, match="one '// mode: read|write' line"):
        cypher.parse("bad", "// does things\n// mode: sometimes\nRETURN 1")
    query = cypher.parse("ok", "// Does things.\n// mode: write\nCREATE (:X {v: $v})")
    assert (query.description, query.mode, query.parameters) == ("Does things.", "write", ("v",))


def test_unknown_names_are_clear():
    assert "$(label)" in cypher.load("graph_labels")
    with pytest.raises(UsageError, match="no named query 'nope'; known: .*graph_labels"):
        cypher.load("nope")


def test_the_read_path_refuses_a_write_even_from_a_query_that_claims_to_read(graph):
    graph.write("CREATE (:Gene {id: 'human:A'}), (:Gene {id: 'human:B'})")
    assert cypher.run(graph, "graph_labels") == [{"label": "Gene", "count": 2}]
    liar = cypher.NamedQuery("liar", "MATCH (g:Gene) DETACH DELETE g", "Reads, it says.",
                             "read", ())  # fmt: skip
    with pytest.raises(ReadOnlyQueryError, match=r"writes \(DETACH DELETE\)"):
        liar.run(graph)
    with pytest.raises(ReadOnlyQueryError, match="pass --write"):
        graph.read(cypher.load("runs_delete"), {"run": "x"})
    assert graph.read("MATCH (g:Gene) RETURN count(g) AS n") == [{"n": 2}]


def test_every_named_read_query_passes_the_read_only_check(graph):
    for name in cypher.names(mode="read"):
        query = cypher.get(name)
        with graph.driver.session(database=graph.database) as session:
            read_only.check(session, query.text, {}, database=graph.database)


def test_write_queries_run_in_a_write_transaction(graph):
    graph.write("CREATE (:ModelRun {id: 'r1'})")
    assert cypher.run(graph, "runs_delete", run="r1") == [{"deleted": 1}]
    assert graph.read("MATCH (r:ModelRun) RETURN count(r) AS n") == [{"n": 0}]
