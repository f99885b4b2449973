"""``priorgraph browser`` and the read-only ``priorgraph cypher`` as a user meets them."""

import json

import pytest
from click.testing import CliRunner

from priorgraph.cli import main
from priorgraph.kg.server import LocalServer


@pytest.fixture
def run(monkeypatch, tmp_path):
    """``priorgraph …`` with no NEO4J_URI and PRIORGRAPH_HOME in tmp_path (the local server)."""
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.delenv("PRIORGRAPH_HTTP_PORT", raising=False)
    monkeypatch.setenv("PRIORGRAPH_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def use_server(monkeypatch, server: LocalServer) -> None:
    """Make ``server`` the one ``priorgraph server …`` and ``priorgraph browser`` manage."""
    monkeypatch.setattr(LocalServer, "default", classmethod(lambda cls: server))


def test_browser_prints_the_url_with_the_login_filled_in(run, monkeypatch, local_server):
    use_server(monkeypatch, local_server)
    result = run("browser")
    assert result.exit_code == 0
    bolt = local_server.uri.rsplit(":", 1)[1]
    assert result.output.splitlines() == [
        f"Neo4j Browser: http://127.0.0.1:{local_server.http_port}/browser/?connectURL="
        f"neo4j%3A%2F%2Fneo4j%40127.0.0.1%3A{bolt}&preselectAuthMethod=NATIVE",
        f"login: user neo4j, password in {local_server.password_file} "
        "(or `priorgraph browser --show-password`)",
    ]
    shown = run("browser", "--show-password")
    password = local_server.read_password()
    assert shown.output.splitlines()[1] == f"login: user neo4j, password {password}"
    status = json.loads(run("server", "status", "--json").output)
    assert status["browser"] == f"http://127.0.0.1:{local_server.http_port}/browser/"


def test_browser_says_when_the_server_is_off(run):
    result = run("browser")
    assert result.exit_code == 3
    assert result.output.strip() == (
        "the local server is not running: `priorgraph server start` starts it with Neo4j Browser"
    )


def test_browser_says_when_the_server_runs_without_it(run, monkeypatch, local_server, tmp_path):
    # a server started with PRIORGRAPH_HTTP_PORT=0: its state records no HTTP port
    home = tmp_path / "no-browser"
    home.mkdir()
    state = {"pid": local_server.status()["pid"], "port": local_server.port, "http_port": None}
    (home / "state.json").write_text(json.dumps(state))
    use_server(monkeypatch, LocalServer(home=home, port=local_server.port))
    result = run("browser")
    assert result.exit_code == 3
    assert "runs without Neo4j Browser (started with PRIORGRAPH_HTTP_PORT=0)" in result.output
    assert "`priorgraph server stop`, then `priorgraph server start`" in result.output


def test_browser_says_that_another_neo4j_is_used(run, monkeypatch):
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://example.org")
    result = run("browser")
    assert result.exit_code == 3
    assert "NEO4J_URI is set: priorgraph uses neo4j+s://example.org" in result.output


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", "LOAD CSV reads files or URLs"),
        ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE TRANSACTIONS is an "
         "administrative command; priorgraph does not run those"),
        ("CREATE USER eve SET PASSWORD 'abcdefghij'", "administrative command"),
        ("MATCH (g:Gene) DETACH DELETE g", "the query writes (DETACH DELETE); this run is "
         "read-only: pass --write"),
    ],
)  # fmt: skip
def test_read_only_cypher_refuses_in_one_line(cli, graph, query, words):
    graph.write("CREATE (:Gene {id: 'human:A'})")
    result = cli("cypher", query)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and words in result.output
    assert "Traceback" not in result.output
    assert graph.read("MATCH (g:Gene) RETURN count(g) AS n") == [{"n": 1}]


def test_server_status_reads_as_sentences_and_aligned_places(run, monkeypatch, local_server):
    off = run("server", "status")
    assert off.exit_code == 3
    lines = off.output.splitlines()
    assert lines[0] == "the local Neo4j is not running (`priorgraph server start` starts it)"
    assert [line.split()[0] for line in lines[1:]] == ["password", "data", "log"]
    use_server(monkeypatch, local_server)
    on = run("server", "status")
    assert on.exit_code == 0
    head, bolt, browser, password, *_ = on.output.splitlines()
    info = local_server.status()
    assert head == f"the local Neo4j {info['version']} is running (pid {info['pid']})"
    assert bolt == f"  Bolt           {local_server.uri} (user neo4j)"
    assert browser == f"  Neo4j Browser  {info['browser']} (`priorgraph browser`: the login)"
    assert password == f"  password file  {local_server.password_file}"
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://example.org")
    external = run("server", "status")
    assert external.output.startswith(
        "NEO4J_URI is set: priorgraph uses neo4j+s://example.org, not this local server\n"
    )


def test_server_stop_says_what_it_did(run, monkeypatch, local_server):
    assert run("server", "stop").output == "the local Neo4j is not running: nothing to stop\n"
    use_server(monkeypatch, local_server)
    monkeypatch.setattr(LocalServer, "stop", lambda self: True)  # the session's server stays up
    stopped = run("server", "stop")
    info = local_server.status()
    assert stopped.output == (
        f"stopped the local Neo4j (pid {info['pid']}); its data stays in {info['data']} "
        "for the next `priorgraph server start`\n"
    )
