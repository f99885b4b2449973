"""Fixtures of the reliability suite (issue 15's cases; docs/reliability.md lists them).

Each test tries a case as an attacker or a careless user would, through the command line where
there is one, and checks the guarantee: nothing runs from a data file, a bad input ends in one
line naming file, line and problem (no traceback), and nothing is half-written.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

TINY_OBO = (
    "format-version: 1.2\n\n"
    "[Term]\nid: GO:0000001\nname: signalling\nnamespace: biological_process\n\n"
    "[Term]\nid: GO:0000002\nname: response\nnamespace: biological_process\n"
    "is_a: GO:0000001 ! signalling\n"
)


@pytest.fixture
def offline_cli(monkeypatch, tmp_path) -> Callable[..., Result]:
    """Run ``priorgraph …`` without a server (for ``--no-graph`` work and file checks), with
    ``PRIORGRAPH_HOME`` in the test's tmp_path."""
    from priorgraph.cli import main

    monkeypatch.setenv("PRIORGRAPH_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def tiny_obo(tmp_path) -> Path:
    """A two-term GO ontology (GO:0000001 ← GO:0000002)."""
    path = tmp_path / "tiny.obo"
    path.write_text(TINY_OBO)
    return path


def expect_one_line(result: Result, start: str) -> str:
    """Assert that a command failed with exit code 1 and one error line on stderr, its last,
    ``Error: start…`` (logged warnings may precede it), and no traceback anywhere; return it."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr  # warnings may come first
    assert errors[0].startswith(f"Error: {start}"), errors[0]
    return errors[0]


@pytest.fixture
def one_line_error() -> Callable[[Result, str], str]:
    """:func:`expect_one_line`, for the tests."""
    return expect_one_line


class CuttingProxy:
    """A TCP proxy in front of Neo4j's Bolt port that cuts every connection, and refuses new
    ones, as soon as the client sends ``marker``: the server seen from the client is lost at
    exactly that point of the conversation (no timing involved)."""

    def __init__(self, target_port: int, marker: bytes):
        self.target = ("127.0.0.1", target_port)
        self.marker = marker
        self.cut = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.cut.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, watch: bool) -> None:
        tail = b""
        try:
            while data := source.recv(65536):
                if watch and self.marker in tail + data:
                    self.close()  # the marked message never reaches the server
                    return
                tail = (tail + data)[-len(self.marker) :]
                sink.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.cut.set()
        for sock in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture
def cutting_proxy(neo4j_settings) -> Iterator[Callable[[bytes], CuttingProxy]]:
    """Make :class:`CuttingProxy` s in front of the test server; all closed afterwards."""
    port = int(neo4j_settings.uri.rsplit(":", 1)[1])
    made: list[CuttingProxy] = []

    def make(marker: bytes) -> CuttingProxy:
        made.append(CuttingProxy(port, marker))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()
