import socket
from pathlib import Path

import pytest

from priorgraph.core.errors import ServerError
from priorgraph.kg.connection import Graph
from priorgraph.kg.server import DEFAULT_HTTP_PORT, LocalServer, free_port, java_executable


def listening_addresses(port: int) -> set[str]:
    """Local addresses of sockets in LISTEN state on ``port``, read from /proc/net/tcp{,6}."""
    found = set()
    for name in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F"}  # 127.0.0.1 (v4, v4-mapped v6)


def test_missing_java_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(ServerError, match="Java 17 or newer is required"):
        java_executable()
    with pytest.raises(ServerError, match="Java 17 or newer is required"):
        LocalServer(home=tmp_path, port=free_port()).start()


def test_old_java_is_refused(monkeypatch, tmp_path):
    fake = tmp_path / "jdk" / "bin" / "java"
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    with pytest.raises(ServerError, match=r"needs Java 17 or newer; .* is Java 11"):
        java_executable()


def test_busy_port_is_a_clear_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServerError, match=f"port {port} on 127.0.0.1 is busy"):
            LocalServer(home=tmp_path, port=port).start()


def test_status_of_a_server_never_started(tmp_path):
    status = LocalServer(home=tmp_path, port=17999).status()
    assert status["running"] is False
    assert status["uri"] == "bolt://127.0.0.1:17999"


def test_failed_start_reports_the_log(local_server, tmp_path):
    # local_server makes sure the runtime is provisioned; a bad page cache size makes Neo4j fail.
    broken = LocalServer(home=tmp_path / "broken", port=free_port(), pagecache="lots")
    with pytest.raises(ServerError, match="Neo4j exited with code"):
        broken.start(timeout=120)
    assert broken.status()["running"] is False


def test_server_is_local_only_with_a_private_password_and_reused(local_server):
    addresses = listening_addresses(int(local_server.uri.rsplit(":", 1)[1]))
    assert addresses and addresses <= LOOPBACK
    assert local_server.password_file.stat().st_mode & 0o777 == 0o600
    again = LocalServer(home=local_server.home, port=local_server.port).start()
    assert again["reused"] is True
    assert again["pid"] == local_server.status()["pid"]


def loose_entries(root: Path) -> dict[str, str]:
    """Every file or directory under ``root`` that its group or others may use, with its mode."""
    return {
        str(p.relative_to(root)): oct(p.lstat().st_mode & 0o777)
        for p in [root, *root.rglob("*")]
        if not p.is_symlink() and p.lstat().st_mode & 0o077
    }


def test_every_file_and_directory_of_the_server_is_private(local_server):
    home = local_server.home
    assert loose_entries(home) == {}
    assert home.stat().st_mode & 0o777 == 0o700
    assert local_server.password_file.stat().st_mode & 0o777 == 0o600
    # the store (the system database's auth data among it), logs and guide were created private
    system = local_server.dbms_home / "data" / "databases" / "system"
    for path in (system, *system.iterdir(), local_server.log_file,
                 local_server.guides_dir / "priorgraph.html"):  # fmt: skip
        assert path.stat().st_mode & 0o077 == 0, path
    assert len(list(home.rglob("*"))) > 50  # the walk saw the whole store


def test_data_survives_a_restart_and_an_older_install_is_made_private(
    local_server, neo4j_settings, graph
):
    graph.write("CREATE (:Gene {id: 'human:KEEP', symbol: 'KEEP'})")
    graph.close()
    assert local_server.stop() is True
    assert local_server.status()["running"] is False
    # what an install before this version left: a world-readable store and password (hash)
    store = local_server.dbms_home / "data" / "databases" / "neo4j"
    loosened = [local_server.home, local_server.password_file, store, *store.iterdir(),
                local_server.dbms_home / ".priorgraph-password"]  # fmt: skip
    for path in loosened:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert len(loose_entries(local_server.home)) >= len(loosened)
    local_server.start()
    assert loose_entries(local_server.home) == {}
    with Graph(neo4j_settings) as again:
        assert again.read("MATCH (g:Gene) RETURN g.id AS id") == [{"id": "human:KEEP"}]


def test_the_browser_runs_with_the_server(local_server):
    http_port = local_server.http_port
    assert listening_addresses(http_port) <= LOOPBACK and listening_addresses(http_port)
    status = local_server.status()
    assert status["browser"] == f"http://127.0.0.1:{http_port}/browser/"
    bolt = local_server.uri.rsplit(":", 1)[1]
    assert local_server.browser_url() == (
        f"http://127.0.0.1:{http_port}/browser/?connectURL=neo4j%3A%2F%2Fneo4j%40127.0.0.1%3A"
        f"{bolt}&preselectAuthMethod=NATIVE"
    )


def test_ports_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PRIORGRAPH_HOME", str(tmp_path))
    monkeypatch.delenv("PRIORGRAPH_HTTP_PORT", raising=False)
    assert LocalServer.default().http_port == DEFAULT_HTTP_PORT == 7474
    monkeypatch.setenv("PRIORGRAPH_HTTP_PORT", "0")
    server = LocalServer.default()
    assert server.http_port is None and server.status()["browser"] is None
    assert server.browser_url() is None  # not running
    monkeypatch.setenv("PRIORGRAPH_HTTP_PORT", "17474")
    assert LocalServer.default().status()["browser"] == "http://127.0.0.1:17474/browser/"
    for bad in ("http", "-1", "70000"):
        monkeypatch.setenv("PRIORGRAPH_HTTP_PORT", bad)
        with pytest.raises(ServerError, match="PRIORGRAPH_HTTP_PORT must be a port number"):
            LocalServer.default()


def test_a_busy_browser_port_is_a_clear_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = LocalServer(home=tmp_path, port=free_port(), http_port=port)
        with pytest.raises(ServerError, match=r"PRIORGRAPH_HTTP_PORT \(0: no Neo4j Browser\)"):
            server.start()


def test_server_settings_are_locked_down(local_server, graph):
    names = [
        "dbms.security.allow_csv_import_from_file_urls",
        "server.directories.import",
        "dbms.usage_report.enabled",
        "client.allow_telemetry",
        "browser.remote_content_hostname_whitelist",
        "server.http.enabled",
        "server.bolt.listen_address",
    ]
    rows = graph.write("SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value",
                       {"names": names})  # fmt: skip
    settings = {r["name"]: r["value"] for r in rows}
    assert settings["dbms.security.allow_csv_import_from_file_urls"] == "false"
    assert settings["dbms.usage_report.enabled"] == "false"
    assert settings["client.allow_telemetry"] == "false"
    assert settings["server.http.enabled"] == "false"  # Neo4j's own HTTP API stays off
    assert settings["browser.remote_content_hostname_whitelist"] == "127.0.0.1,localhost"
    assert settings["server.bolt.listen_address"].startswith("127.0.0.1:")
    imports = local_server.dbms_home / "import"
    assert settings["server.directories.import"] == str(imports)
    assert imports.is_dir() and list(imports.iterdir()) == []
    assert imports.stat().st_mode & 0o777 == 0o700


def test_provisioning_steps_count_maven_downloads_and_report_a_failure():
    from priorgraph.core.utils import progress
    from priorgraph.kg.server import _run_step

    maven = ["sh", "-c", "echo '[INFO] Scanning'; echo 'Downloading from central: a.jar'; "
             "echo 'Downloaded from central: a.jar (1 kB)'; "
             "echo 'Downloaded from central: b.pom (1 kB)'"]  # fmt: skip
    with progress(desc="maven") as bar:
        output = _run_step(maven, bar, downloads=True)
        assert bar.postfix == "2 files downloaded"
    assert output.count("\n") == 4
    with progress(desc="javac") as bar, pytest.raises(ServerError, match="failed at `sh`:\nbad"):
        _run_step(["sh", "-c", "echo bad; exit 2"], bar)
