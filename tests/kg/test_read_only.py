"""The read-only check (kg/read_only.py) and the locked-down local server, case by case.

The cases of issue 15: ``LOAD CSV`` of /etc/passwd, of the server's own password file, of an
absolute path that escapes the import directory, of a URL on a local HTTP server the test starts
(must never be fetched), and ``TERMINATE TRANSACTIONS`` in read mode. Each is tried on the read
path (refused by the check before anything runs) and, where it applies, in a write transaction
(refused by the server's settings alone).
"""

import http.server
import threading
from collections.abc import Iterator

import pytest
from neo4j.exceptions import ClientError

from priorgraph.core.errors import ReadOnlyQueryError, UsageError
from priorgraph.kg import read_only
from priorgraph.kg.connection import Graph


def plan(*operators: str, details: str = "") -> dict:
    """A plan as the driver gives it: the first operator at the root, each next one its child."""
    node: dict | None = None
    for op in reversed(operators):
        node = {"operatorType": op, "args": {"Details": details},
                "children": [node] if node else []}  # fmt: skip
    return node or {}


@pytest.mark.parametrize(
    ("query_type", "operators", "details", "reason", "words"),
    [
        ("w", ("ProduceResults@neo4j", "EmptyResult@neo4j", "Create@neo4j"), "", "write",
         "writes (CREATE); this run is read-only: pass --write"),
        ("rw", ("ProduceResults@neo4j", "SetProperty@neo4j", "AllNodesScan@neo4j"), "", "write",
         "writes (SET PROPERTY)"),
        ("w", ("ProcedureCall@neo4j",), "db.createLabel($autostring_0) :: ()", "write",
         "writes (db.createLabel)"),
        ("s", ("CreateIndex@neo4j",), "", "schema", "changes the schema (CREATE INDEX)"),
        ("s", ("AdministrationCommand@system",), "", "admin",
         "the query is an administrative command"),
        ("r", ("ProduceResults@neo4j", "TerminateTransactions@neo4j"), "", "admin",
         "TERMINATE TRANSACTIONS is an administrative command; priorgraph does not run those"),
        ("r", ("ProduceResults@neo4j", "ShowTransactions@neo4j"), "", "admin",
         "SHOW TRANSACTIONS"),
        ("r", ("ShowSettings@neo4j",), "", "admin", "SHOW SETTINGS"),
        ("s", ("ProduceResults@neo4j", "ProcedureCall@neo4j"), "dbms.listConfig() :: (name)",
         "admin", "dbms.listConfig is a DBMS procedure"),
        ("r", ("ProduceResults@neo4j", "LoadCSV@neo4j"), "", "load_csv", "LOAD CSV reads files"),
        ("r", ("ProduceResults@neo4j", "ProcedureCall@neo4j"),
         "apoc.load.json($autostring_0) :: (value :: MAP)", "procedure", "apoc.load"),
        ("r", ("ProduceResults@neo4j", "Projection@neo4j"),
         "apoc.cypher.runFirstColumnSingle($q, {}) AS x", "procedure", "apoc.cypher"),
        ("r", ("ProduceResults@other", "AllNodesScan@other"), "", "admin",
         "runs on database 'other', not 'neo4j'"),
    ],
)  # fmt: skip
def test_what_is_refused_and_why(query_type, operators, details, reason, words):
    problem = read_only.refusal(query_type, plan(*operators, details=details), database="neo4j")
    assert isinstance(problem, ReadOnlyQueryError) and isinstance(problem, UsageError)
    assert problem.reason == reason
    assert words in str(problem)
    assert "\n" not in str(problem)


@pytest.mark.parametrize(
    "operators",
    [
        ("ProduceResults@neo4j", "AllNodesScan@neo4j"),
        ("ProduceResults@neo4j", "ProcedureCall@neo4j"),  # db.index.vector.queryNodes, db.labels
        ("ProduceResults@neo4j", "ShowIndexes@neo4j"),
        ("ProduceResults@neo4j", "ShowConstraints@neo4j"),
        ("ProduceResults@neo4j", "ShowProcedures@neo4j"),
        ("ProduceResults@neo4j", "ShowFunctions@neo4j"),
    ],
)
def test_reads_and_catalogue_commands_pass(operators):
    details = "db.index.vector.queryNodes($a, $b, $c) :: (node :: NODE, score :: FLOAT)"
    assert read_only.refusal("r", plan(*operators, details=details), database="neo4j") is None


def test_a_syntax_error_points_into_the_users_query_not_the_explain_around_it():
    server = (
        "Invalid input 'LIMT': expected 'LIMIT' (line 2, column 24 (offset: 33))\n"
        '"WHERE n.x = 1 RETURN n LIMT 3"\n                        ^'
    )
    assert read_only.unprefixed(server) == server.replace("offset: 33", "offset: 25")
    first = (
        "Invalid input 'RETURN' (line 1, column 18 (offset: 17))\n"
        '"EXPLAIN MATCH (n RETURN n"\n' + " " * 17 + "^"
    )
    assert read_only.unprefixed(first) == (
        "Invalid input 'RETURN' (line 1, column 10 (offset: 9))\n\"MATCH (n RETURN n\"\n"
        + " " * 9
        + "^"
    )


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server serving a small CSV; yields its base URL and the paths requested."""
    requested: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requested.append(self.path)
            body = b"a,b\n1,2\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requested
    server.shutdown()
    server.server_close()


def test_the_local_http_server_answers_when_asked_directly(http_server):
    from urllib.request import urlopen

    base, requested = http_server
    assert urlopen(f"{base}/check.csv").read() == b"a,b\n1,2\n"  # the fixture really serves
    assert requested == ["/check.csv"]


def load_csv_cases(local_server, base: str) -> dict[str, str]:
    """Issue 15's LOAD CSV cases against this server."""
    escape = "../" * 12 + "etc/passwd"
    return {
        "/etc/passwd": "file:///etc/passwd",
        "the server's password file": local_server.password_file.as_uri(),
        "an absolute path escaping the import directory": f"file:///{escape}",
        "a local HTTP server": f"{base}/secret.csv",
        "localhost by name": base.replace("127.0.0.1", "localhost") + "/secret.csv",
    }


def test_load_csv_is_refused_on_the_read_path_and_by_the_server(local_server, graph, http_server):
    base, requested = http_server
    for case, url in load_csv_cases(local_server, base).items():
        query = f"LOAD CSV FROM '{url}' AS line RETURN line"
        with pytest.raises(ReadOnlyQueryError, match="LOAD CSV reads files or URLs") as refused:
            graph.read(query)
        assert refused.value.reason == "load_csv", case
        # Even in a write transaction (priorgraph cypher --write), the server's settings refuse.
        with pytest.raises(ClientError) as server_refused:
            graph.write(query)
        assert server_refused.value.code == "Neo.ClientError.Statement.ExternalResourceFailed"
        expected = "blocked via the configuration property" if "http" in url else (
            "allow_csv_import_from_file_urls' is false")  # fmt: skip
        assert expected in server_refused.value.message, case
    assert requested == []  # the URL was never fetched


def test_terminate_transactions_and_admin_commands_are_refused_in_read_mode(graph, neo4j_settings):
    for query, words in [
        ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE TRANSACTIONS"),
        ("SHOW TRANSACTIONS", "SHOW TRANSACTIONS"),
        ("SHOW SETTINGS", "SHOW SETTINGS"),
        ("SHOW USERS", "administrative command"),
        ("CREATE USER mallory SET PASSWORD 'a-long-password'", "administrative command"),
        ("ALTER USER neo4j SET PASSWORD 'a-long-password'", "administrative command"),
        ("SHOW ROLES", "administrative command"),
        ("DROP DATABASE neo4j", "administrative command"),
        ("CALL dbms.listConfig()", "dbms.listConfig is a DBMS procedure"),
        ("CALL db.clearQueryCaches()", "db.clearQueryCaches is a DBMS procedure"),
    ]:
        with pytest.raises(ReadOnlyQueryError, match=words) as refused:
            graph.read(query)
        assert refused.value.reason == "admin", query
    with Graph(neo4j_settings) as again:  # the password was not changed
        assert again.read("RETURN 1 AS one") == [{"one": 1}]


def test_writes_and_schema_changes_are_refused_with_the_write_hint(graph):
    graph.write("CREATE (:Gene {id: 'human:A', symbol: 'A'})")
    for query, reason in [
        ("CREATE (:Gene {id: 'human:X'})", "write"),
        ("MATCH (g:Gene) SET g.symbol = 'B'", "write"),
        ("MATCH (g:Gene) DETACH DELETE g", "write"),
        ("MERGE (:Gene {id: 'human:Y'})", "write"),
        ("CALL db.createLabel('Sneaky')", "write"),
        ("CREATE INDEX sneaky FOR (n:Gene) ON (n.other)", "schema"),
        ("DROP CONSTRAINT gene_id IF EXISTS", "schema"),
    ]:
        with pytest.raises(ReadOnlyQueryError, match="pass --write") as refused:
            graph.read(query)
        assert refused.value.reason == reason, query
    assert graph.read("MATCH (g:Gene) RETURN g.id AS id, g.symbol AS s") == [
        {"id": "human:A", "s": "A"}
    ]
    labels = graph.read("CALL db.labels() YIELD label RETURN collect(label) AS l")[0]["l"]
    assert "Gene" in labels and "Sneaky" not in labels
    assert "sneaky" not in {r["name"] for r in graph.read("SHOW INDEXES YIELD name")}


def test_legitimate_reads_still_run(graph):
    graph.write("CREATE (:Gene {id: 'human:A', symbol: 'A', v: [1.0, 0.0]}), "
                "(:Gene {id: 'human:B', symbol: 'B', v: [0.9, 0.1]})")  # fmt: skip
    graph.write(
        "CREATE VECTOR INDEX test_v IF NOT EXISTS FOR (g:Gene) ON (g.v) OPTIONS {indexConfig: "
        "{`vector.dimensions`: 2, `vector.similarity_function`: 'cosine'}}"
    )
    graph.write("CALL db.awaitIndexes(60)")
    hits = graph.read(
        "CALL db.index.vector.queryNodes('test_v', 2, $q) YIELD node, score "
        "RETURN node.symbol AS symbol ORDER BY score DESC",
        {"q": [1.0, 0.0]},
    )
    assert [h["symbol"] for h in hits] == ["A", "B"]
    assert "test_v" in {r["name"] for r in graph.read("SHOW INDEXES YIELD name")}
    assert graph.read("SHOW CONSTRAINTS YIELD name RETURN count(*) > 0 AS some") == [{"some": True}]
    assert graph.read("SHOW PROCEDURES YIELD name WHERE name = 'db.labels' RETURN name") == [
        {"name": "db.labels"}
    ]
    assert graph.read("PROFILE MATCH (g:Gene) RETURN count(g) AS n") == [{"n": 2}]
    assert graph.read("CYPHER 5 MATCH (g:Gene {symbol: $s}) RETURN g.id AS id", {"s": "B"}) == [
        {"id": "human:B"}
    ]


def test_a_syntax_error_is_a_usage_error_about_the_users_text(graph):
    with pytest.raises(UsageError, match=r"column 10 \(offset: 9\)") as bad:
        graph.read("MATCH (n RETURN n")
    assert '"MATCH (n RETURN n"' in str(bad.value) and "EXPLAIN" not in str(bad.value)


def test_the_check_runs_once_per_query_text(neo4j_settings, graph, monkeypatch):
    calls = []
    check = read_only.check
    monkeypatch.setattr(read_only, "check", lambda *a, **k: calls.append(a[1]) or check(*a, **k))
    with Graph(neo4j_settings) as fresh:
        for s in ("A", "B", "C"):
            assert fresh.read("MATCH (g:Gene {symbol: $s}) RETURN g", {"s": s}) == []
        fresh.read("RETURN 1 AS x")
    assert calls == ["MATCH (g:Gene {symbol: $s}) RETURN g", "RETURN 1 AS x"]
