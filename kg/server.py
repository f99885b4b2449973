"""A local Neo4j 5.26 LTS Community server, provisioned from Maven Central without Docker.

The Neo4j server distribution (``org.neo4j.assembly:neo4j-community``, tar.gz) is not published on
Maven Central, so priorgraph resolves the documented embedded DBMS (``org.neo4j:neo4j`` +
``org.neo4j:neo4j-bolt``, and Neo4j Browser, ``org.neo4j.client:neo4j-browser``) with Maven,
compiles a small launcher (``launcher/PriorgraphNeo4j.java``, ``launcher/BrowserServer.java``)
and runs it as a detached JVM that serves Bolt on 127.0.0.1 only, with authentication on and a
generated password kept in a 0600 file, and Neo4j Browser on 127.0.0.1:7474
(``PRIORGRAPH_HTTP_PORT``; 0 turns it off) with a guide built from the named queries
(:mod:`priorgraph.kg.browser_guide`).

The server is locked down (docs/reliability.md, "Server security settings"): ``LOAD CSV`` reads
no file and fetches no URL, no usage report or telemetry leaves the machine, and the server's
home is private: 0700 directories and 0600 files (:mod:`priorgraph.kg.private_files`), tightened
again at every start for installs made before.

Layout under ``PRIORGRAPH_HOME`` (default ``~/.cache/priorgraph``)::

    runtime/neo4j-5.26.30/{lib/*.jar, classes/, .complete}   shared by every server home
    server/{password, state.json, launcher.log, guides/, dbms/}   one server: data, logs (0700)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from priorgraph.core.config import DEFAULT_BOLT_PORT, DEFAULT_USER, Neo4jSettings, home_dir
from priorgraph.core.errors import ServerError
from priorgraph.core.utils import progress_step
from priorgraph.kg.browser_guide import write_guide
from priorgraph.kg.private_files import PRIVATE_UMASK, make_private, open_private_log, write_private

if TYPE_CHECKING:
    from tqdm import tqdm

NEO4J_VERSION = "5.26.30"
DEFAULT_HTTP_PORT = 7474  # Neo4j Browser; PRIORGRAPH_HTTP_PORT=0 starts the server without it
LAUNCHER_DIR = Path(__file__).parent / "launcher"
LAUNCHER_CLASS = "PriorgraphNeo4j"
LAUNCHER_SOURCES = ("PriorgraphNeo4j.java", "BrowserServer.java", "PriorgraphImport.java")
READY_MARKER = "PRIORGRAPH_NEO4J_READY"
logger = logging.getLogger(__name__)
# The JVM flags Neo4j's own server scripts pass (neo4j.conf, server.jvm.additional).
JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
)


def java_executable() -> str:
    """Path of a Java >= 17 runtime (``JAVA_HOME`` first, then ``PATH``)."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not candidate or not Path(candidate).exists():
        raise ServerError(
            "Java 17 or newer is required to run the local Neo4j, and no `java` was found "
            "(set JAVA_HOME or install e.g. Debian's openjdk-17-jre-headless). "
            "Or point priorgraph at another Neo4j with NEO4J_URI."
        )
    out = subprocess.run([candidate, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise ServerError(f"could not read the Java version from `{candidate} -version`")
    major = int(match.group(1))
    if major == 1:  # "1.8.0" style
        major = int(match.group(2) or 0)
    if major < 17:
        raise ServerError(
            f"Neo4j {NEO4J_VERSION} needs Java 17 or newer; {candidate} is Java {major}"
        )
    return candidate


def _launcher_fingerprint(version: str) -> str:
    digest = hashlib.sha256(version.encode())
    for name in ("pom.xml", *LAUNCHER_SOURCES):
        digest.update((LAUNCHER_DIR / name).read_bytes())
    return digest.hexdigest()


def _run_step(cmd: list[str], bar: tqdm, *, downloads: bool = False) -> str:
    """Run one provisioning command, its output read line by line; with ``downloads``, the
    bar counts the files Maven has downloaded. Returns the output (for an error message)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, fetched = [], 0
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if downloads and line.startswith("Downloaded from"):
            fetched += 1
            bar.set_postfix_str(f"{fetched} files downloaded", refresh=False)
    proc.wait()
    output = "".join(lines)
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise ServerError(f"provisioning Neo4j failed at `{Path(cmd[0]).name}`:\n{tail}")
    return output


def provision(
    runtime_root: Path | None = None, version: str = NEO4J_VERSION, *, progress: bool = True
) -> Path:
    """Download the Neo4j jars with Maven and compile the launcher; cached, so cheap when done.

    Returns the runtime directory holding ``lib/`` and ``classes/``. ``progress``: on a
    terminal, a line per step with its time so far and the files downloaded (the first
    provisioning downloads ~130 MB: about a minute or two).
    """
    runtime_root = runtime_root or home_dir() / "runtime"
    runtime = runtime_root / f"neo4j-{version}"
    stamp = runtime / ".complete"
    fingerprint = _launcher_fingerprint(version)
    if stamp.exists() and stamp.read_text() == fingerprint:
        return runtime
    mvn = shutil.which("mvn")
    javac = shutil.which("javac")
    if not mvn or not javac:
        raise ServerError(
            "provisioning the local Neo4j needs Maven (`mvn`) and a JDK (`javac`) the first time; "
            "install them (Debian: maven, openjdk-17-jdk-headless) or set NEO4J_URI"
        )
    logger.info("provisioning Neo4j %s into %s (Maven, once)", version, runtime)
    staging = runtime_root / f".neo4j-{version}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "classes").mkdir(parents=True)
    maven = [
        mvn, "-B", "-f", str(LAUNCHER_DIR / "pom.xml"),
        "dependency:copy-dependencies", f"-Dneo4j.version={version}",
        "-DincludeScope=runtime", f"-DoutputDirectory={staging / 'lib'}",
    ]  # fmt: skip
    compile_launcher = [
        javac, "-d", str(staging / "classes"), "-cp", str(staging / "lib" / "*"),
        *(str(LAUNCHER_DIR / name) for name in LAUNCHER_SOURCES),
    ]  # fmt: skip
    with progress_step(f"Neo4j {version} from Maven Central", enabled=progress) as bar:
        _run_step(maven, bar, downloads=True)
    with progress_step("compiling the launcher", enabled=progress) as bar:
        _run_step(compile_launcher, bar)
    (staging / ".complete").write_text(fingerprint)
    shutil.rmtree(runtime, ignore_errors=True)
    staging.rename(runtime)
    return runtime


def _pid_alive(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return LAUNCHER_CLASS.encode() in cmdline


def port_is_free(address: str, port: int) -> bool:
    """True when nothing listens on ``address:port`` (so Neo4j can bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def free_port(address: str = "127.0.0.1") -> int:
    """An unused TCP port, e.g. for a throw-away test server."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def port_from_env(name: str, default: int) -> int:
    """The TCP port in environment variable ``name`` (0 allowed: "off" where a caller says so)."""
    raw = os.environ.get(name, str(default))
    if not raw.strip().isdigit() or int(raw) > 65535:
        raise ServerError(f"{name} must be a port number (0-65535), not {raw!r}")
    return int(raw)


@dataclass
class LocalServer:
    """One project-managed Neo4j: its state directory, address and memory settings."""

    home: Path
    port: int = DEFAULT_BOLT_PORT
    address: str = "127.0.0.1"
    heap: str = "3g"  # a whole human GO ingest is one transaction: more than a 1g heap allows
    pagecache: str = "512m"
    runtime_root: Path = field(default_factory=lambda: home_dir() / "runtime")
    version: str = NEO4J_VERSION
    http_port: int | None = None  # Neo4j Browser on address:http_port; None: no Browser

    @classmethod
    def default(cls) -> LocalServer:
        """The server that ``priorgraph server …`` manages (``PRIORGRAPH_BOLT_PORT``,
        ``PRIORGRAPH_HTTP_PORT`` etc.)."""
        env = os.environ
        return cls(
            home=home_dir() / "server",
            port=port_from_env("PRIORGRAPH_BOLT_PORT", DEFAULT_BOLT_PORT),
            http_port=port_from_env("PRIORGRAPH_HTTP_PORT", DEFAULT_HTTP_PORT) or None,
            heap=env.get("PRIORGRAPH_NEO4J_HEAP", "3g"),
            pagecache=env.get("PRIORGRAPH_NEO4J_PAGECACHE", "512m"),
        )

    @property
    def password_file(self) -> Path:
        return self.home / "password"

    @property
    def state_file(self) -> Path:
        return self.home / "state.json"

    @property
    def log_file(self) -> Path:
        return self.home / "launcher.log"

    @property
    def dbms_home(self) -> Path:
        return self.home / "dbms"

    @property
    def guides_dir(self) -> Path:
        return self.home / "guides"

    @property
    def uri(self) -> str:
        state = self._state()
        port = state["port"] if state else self.port
        return f"bolt://{self.address}:{port}"

    def settings(self, database: str = "neo4j") -> Neo4jSettings:
        """Connection settings for this server (user neo4j and the generated password)."""
        return Neo4jSettings(self.uri, DEFAULT_USER, self.read_password(), database, local=True)

    def read_password(self) -> str | None:
        """The generated password, or None before the first start."""
        try:
            return self.password_file.read_text().strip()
        except FileNotFoundError:
            return None

    def _state(self) -> dict | None:
        try:
            state = json.loads(self.state_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return state if _pid_alive(int(state["pid"])) else None

    def status(self) -> dict:
        """Whether the server runs, and where its URI, Browser, password file, data and logs
        are (``browser`` is None when the server runs without the Browser)."""
        state = self._state()
        http_port = state.get("http_port") if state else self.http_port
        return {
            "running": state is not None,
            "pid": state["pid"] if state else None,
            "uri": self.uri,
            "browser": f"http://{self.address}:{http_port}/browser/" if http_port else None,
            "version": self.version,
            "password_file": str(self.password_file),
            "data": str(self.dbms_home / "data"),
            "log": str(self.log_file),
        }

    def browser_url(self) -> str | None:
        """The running server's Neo4j Browser, its login form filled in (Bolt URL and user;
        ``connectURL``, ``preselectAuthMethod``), or None when the server is not running or
        runs without the Browser."""
        state = self._state()
        if state is None or not state.get("http_port"):
            return None
        login = urlencode({
            "connectURL": f"neo4j://{DEFAULT_USER}@{self.address}:{state['port']}",
            "preselectAuthMethod": "NATIVE",
        })  # fmt: skip
        return f"http://{self.address}:{state['http_port']}/browser/?{login}"

    def start(self, timeout: float = 180.0, *, progress: bool = True) -> dict:
        """Provision if needed, start and wait until Bolt answers; reuse a running server.

        Before the JVM starts, the server's home is made private again (an older install left
        the store and password hash world-readable) and the Browser guide is rewritten from
        this version's named queries. ``progress``: on a terminal, each step (provisioning,
        the wait for Bolt) shows its time so far.
        """
        if self._state() is not None:
            return {**self.status(), "reused": True}
        java = java_executable()
        for port, variable in ((self.port, "PRIORGRAPH_BOLT_PORT"),
                               (self.http_port, "PRIORGRAPH_HTTP_PORT")):  # fmt: skip
            if port is not None and not port_is_free(self.address, port):
                off = " (0: no Neo4j Browser)" if variable == "PRIORGRAPH_HTTP_PORT" else ""
                raise ServerError(
                    f"port {port} on {self.address} is busy (another Neo4j or program listens "
                    f"there); stop it, or choose another port with {variable}{off}"
                )
        runtime = provision(self.runtime_root, self.version, progress=progress)
        tightened = make_private(self.home)
        if tightened:
            logger.info("made %d files and directories under %s private (0600/0700)",
                        tightened, self.home)  # fmt: skip
        password = self.read_password()
        if password is None:
            password = secrets.token_urlsafe(24)
            write_private(self.password_file, password + "\n")
        marker = self.dbms_home / ".priorgraph-password"
        digest = hashlib.sha256(password.encode()).hexdigest()
        init_password = not marker.exists() or marker.read_text() != digest

        cmd = [
            java, f"-Xms{self.heap}", f"-Xmx{self.heap}", *JVM_FLAGS,
            "-cp", f"{runtime / 'classes'}{os.pathsep}{runtime / 'lib' / '*'}", LAUNCHER_CLASS,
            "--home", str(self.dbms_home), "--address", self.address, "--port", str(self.port),
            "--password-file", str(self.password_file), "--pagecache", self.pagecache,
        ]  # fmt: skip
        if init_password:
            cmd.append("--init-password")
        if self.http_port is not None:
            write_guide(self.guides_dir)
            cmd += ["--http-port", str(self.http_port), "--guides-dir", str(self.guides_dir)]
        with open_private_log(self.log_file) as log:
            proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, umask=PRIVATE_UMASK,
            )  # fmt: skip
        logger.info("starting Neo4j %s on %s:%d (pid %d)", self.version, self.address, self.port,
                    proc.pid)  # fmt: skip
        with progress_step(f"starting Neo4j {self.version}", enabled=progress):
            self._wait_ready(proc, password, timeout)
        write_private(marker, digest)
        state = {"pid": proc.pid, "port": self.port, "http_port": self.http_port,
                 "version": self.version}  # fmt: skip
        write_private(self.state_file, json.dumps(state))
        return {**self.status(), "reused": False}

    def _wait_ready(self, proc: subprocess.Popen, password: str, timeout: float) -> None:
        from neo4j import GraphDatabase
        from neo4j.exceptions import ServiceUnavailable

        uri = f"bolt://{self.address}:{self.port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ServerError(
                    f"Neo4j exited with code {proc.returncode} while starting; "
                    f"last lines of {self.log_file}:\n{self._log_tail()}"
                )
            if READY_MARKER in self.log_file.read_text(errors="replace"):
                try:
                    with GraphDatabase.driver(uri, auth=(DEFAULT_USER, password)) as driver:
                        driver.verify_connectivity()
                    return
                except ServiceUnavailable:
                    pass
            time.sleep(0.5)
        proc.terminate()
        raise ServerError(
            f"Neo4j did not answer on {uri} within {timeout:.0f} s; "
            f"last lines of {self.log_file}:\n{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self, timeout: float = 60.0) -> bool:
        """Shut the server down cleanly (SIGTERM runs Neo4j's shutdown); False if not running."""
        state = self._state()
        if state is None:
            self.state_file.unlink(missing_ok=True)
            return False
        pid = int(state["pid"])
        logger.info("stopping Neo4j (pid %d)", pid)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _pid_alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.2)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            raise ServerError(f"Neo4j (pid {pid}) did not stop within {timeout:.0f} s; killed it")
        self.state_file.unlink(missing_ok=True)
        return True


@contextmanager
def temporary_server(
    heap: str = "1g", pagecache: str = "512m", *, browser: bool = False
) -> Iterator[LocalServer]:
    """A throw-away local server (temporary data directory, free port, generated password),
    stopped and deleted when the block ends: for tests, benchmarks and scripts that must not
    touch a user's graph. ``browser``: also serve Neo4j Browser, on another free port."""
    with tempfile.TemporaryDirectory(prefix="priorgraph-neo4j-") as home:
        server = LocalServer(
            home=Path(home), port=free_port(), heap=heap, pagecache=pagecache,
            http_port=free_port() if browser else None,
        )  # fmt: skip
        server.start()
        try:
            yield server
        finally:
            server.stop()


def _reap(pid: int) -> None:
    """Collect the exit status when the server is our own child (tests start it in-process)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
