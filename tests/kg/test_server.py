import socket
from pathlib import Path

import pytest

from priorgraph.core.errors import ServerError
from priorgraph.kg.connection import Graph
from priorgraph.kg.server import LocalServer, free_port, java_executable


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


def test_data_survives_stop_and_start(local_server, neo4j_settings, graph):
    graph.write("CREATE (:Gene {id: 'human:KEEP', symbol: 'KEEP'})")
    graph.close()
    assert local_server.stop() is True
    assert local_server.status()["running"] is False
    local_server.start()
    with Graph(neo4j_settings) as again:
        assert again.read("MATCH (g:Gene) RETURN g.id AS id") == [{"id": "human:KEEP"}]
