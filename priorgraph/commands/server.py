"""``priorgraph server start|stop|status``: the project-managed local Neo4j."""

from __future__ import annotations

import json

import click

from priorgraph.kg.server import LocalServer
from priorgraph.kg.server import provision as provision_runtime


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


@server.command()
def provision() -> None:
    """Download the Neo4j jars (Maven Central) and compile the launcher; cached."""
    server_ = LocalServer.default()
    runtime = provision_runtime(server_.runtime_root, server_.version)
    click.echo(f"Neo4j {server_.version} runtime ready in {runtime}")


@server.command()
def stop() -> None:
    """Stop the server cleanly; data stays for the next start."""
    stopped = LocalServer.default().stop()
    click.echo("stopped" if stopped else "not running")


@server.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Whether the server runs, and where its data, log and password file are."""
    info = LocalServer.default().status()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    for key, value in info.items():
        click.echo(f"{key:14} {value}")
    if not info["running"]:
        raise SystemExit(3)
