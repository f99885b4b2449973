"""``priorgraph server start|stop|status`` (the project-managed local Neo4j) and ``priorgraph
browser`` (its Neo4j Browser)."""

from __future__ import annotations

import json

import click

from priorgraph.core.config import DEFAULT_USER, external_settings
from priorgraph.kg.server import LocalServer
from priorgraph.kg.server import provision as provision_runtime

NOT_RUNNING = 3  # exit code of `server status` and `browser` when there is nothing to show


@click.group()
def server() -> None:
    """Run a local Neo4j 5.26 (Bolt on 127.0.0.1, auth on, password in a 0600 file)."""


@server.command()
@click.option("--timeout", default=180.0, show_default=True, help="Seconds to wait for Bolt.")
def start(timeout: float) -> None:
    """Provision (first time) and start the server, or reuse the running one."""
    info = LocalServer.default().start(timeout=timeout)
    verb = "already running" if info["reused"] else "started"
    click.echo(f"Neo4j {info['version']} {verb} at {info['uri']} (pid {info['pid']})")
    click.echo(f"user neo4j, password in {info['password_file']}")
    if info["browser"]:
        click.echo(f"Neo4j Browser at {info['browser']} (`priorgraph browser`: URL and login)")


@server.command()
def provision() -> None:
    """Download the Neo4j jars (Maven Central) and compile the launcher; cached."""
    server_ = LocalServer.default()
    runtime = provision_runtime(server_.runtime_root, server_.version)
    click.echo(f"Neo4j {server_.version} runtime ready in {runtime}")


@server.command()
def stop() -> None:
    """Stop the server cleanly; data stays for the next start."""
    server_ = LocalServer.default()
    info = server_.status()
    if not server_.stop():
        click.echo("the local Neo4j is not running: nothing to stop")
        return
    click.echo(f"stopped the local Neo4j (pid {info['pid']}); its data stays in {info['data']} "
               "for the next `priorgraph server start`")  # fmt: skip


@server.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Whether the server runs, and where its Bolt URI, Browser, password file, data and log
    are. Exit code 3 when it is not running."""
    info = LocalServer.default().status()
    if as_json:
        click.echo(json.dumps(info, indent=2))
    else:
        external = external_settings()
        if external is not None:
            click.echo(f"NEO4J_URI is set: priorgraph uses {external.uri}, not this local server")
        for line in status_lines(info):
            click.echo(line)
    if not info["running"]:
        raise SystemExit(NOT_RUNNING)


def status_lines(info: dict) -> list[str]:
    """``server status`` for people: one sentence, then an aligned line per place."""
    if info["running"]:
        head = f"the local Neo4j {info['version']} is running (pid {info['pid']})"
        places = [("Bolt", f"{info['uri']} (user {DEFAULT_USER})")]
        browser = info["browser"]
        places.append(("Neo4j Browser", f"{browser} (`priorgraph browser`: the login)" if browser
                       else "off (started with PRIORGRAPH_HTTP_PORT=0)"))  # fmt: skip
    else:
        head = "the local Neo4j is not running (`priorgraph server start` starts it)"
        places = []
    places += [("password file", info["password_file"]), ("data", info["data"]),
               ("log", info["log"])]  # fmt: skip
    width = max(len(name) for name, _ in places)
    return [head, *(f"  {name:<{width}}  {where}" for name, where in places)]


@click.command()
@click.option("--show-password", is_flag=True,
              help="Print the password itself (default: where the password file is).")  # fmt: skip
def browser(show_password: bool) -> None:
    """Neo4j Browser of the local server: its URL (login form filled in) and the login.

    Exit code 3 when there is no Browser to open: the server is not running, runs without
    the Browser (PRIORGRAPH_HTTP_PORT=0), or NEO4J_URI points priorgraph at another Neo4j.
    """
    external = external_settings()
    if external is not None:
        click.echo(f"NEO4J_URI is set: priorgraph uses {external.uri}, not the local server; "
                   "open that server's own Browser (docker/compose.yml: "
                   "http://127.0.0.1:7474)")  # fmt: skip
        raise SystemExit(NOT_RUNNING)
    server_ = LocalServer.default()
    url = server_.browser_url()
    if url is None:
        if server_.status()["running"]:
            click.echo("the local server runs without Neo4j Browser (started with "
                       "PRIORGRAPH_HTTP_PORT=0); restart it with the Browser: "
                       "`priorgraph server stop`, then `priorgraph server start` "
                       "(PRIORGRAPH_HTTP_PORT unset: port 7474)")  # fmt: skip
        else:
            click.echo("the local server is not running: `priorgraph server start` starts it "
                       "with Neo4j Browser")  # fmt: skip
        raise SystemExit(NOT_RUNNING)
    click.echo(f"Neo4j Browser: {url}")
    if show_password:
        click.echo(f"login: user {DEFAULT_USER}, password {server_.read_password()}")
    else:
        click.echo(f"login: user {DEFAULT_USER}, password in {server_.password_file} "
                   "(or `priorgraph browser --show-password`)")  # fmt: skip
