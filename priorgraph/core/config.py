"""Settings read from the environment, with defaults for the project-managed local server.

``NEO4J_URI`` / ``NEO4J_USER`` / ``NEO4J_PASSWORD`` / ``NEO4J_DATABASE`` point every command at any
Neo4j (docker compose, Aura, a cluster). When ``NEO4J_URI`` is unset, priorgraph talks to the local
server that ``priorgraph server start`` provisions under ``PRIORGRAPH_HOME``; the connection layer
(:func:`priorgraph.kg.connection.resolve_settings`) fills in its URI and generated password.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BOLT_PORT = 7687
DEFAULT_USER = "neo4j"
DEFAULT_DATABASE = "neo4j"


def home_dir() -> Path:
    """Cache and state directory, outside the repository (``PRIORGRAPH_HOME``)."""
    env = os.environ.get("PRIORGRAPH_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "priorgraph"


def data_dir() -> Path | None:
    """Local mirror of public source files (``PRIORGRAPH_DATA_DIR``), if one is set."""
    env = os.environ.get("PRIORGRAPH_DATA_DIR")
    return Path(env).expanduser() if env else None


@dataclass(frozen=True)
class Neo4jSettings:
    """Where and how to connect. ``local`` is True when the project-managed server is meant."""

    uri: str
    user: str
    password: str | None
    database: str
    local: bool


def database_name() -> str:
    """The database to use (``NEO4J_DATABASE``, default ``neo4j``)."""
    return os.environ.get("NEO4J_DATABASE", DEFAULT_DATABASE)


def external_settings() -> Neo4jSettings | None:
    """The Neo4j that ``NEO4J_URI`` / ``NEO4J_USER`` / ``NEO4J_PASSWORD`` name, or None when
    ``NEO4J_URI`` is unset (then the local server is meant:
    :func:`priorgraph.kg.connection.resolve_settings`)."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return None
    return Neo4jSettings(
        uri=uri,
        user=os.environ.get("NEO4J_USER", DEFAULT_USER),
        password=os.environ.get("NEO4J_PASSWORD"),
        database=database_name(),
        local=False,
    )
