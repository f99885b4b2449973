"""How errors and log lines reach the terminal (imported by ``priorgraph`` itself, so it loads
nothing heavy).

Errors: a :class:`~priorgraph.core.errors.PriorgraphError` is an expected failure (bad input, a
missing server, an unknown name): one message, exit code 1. Anything else is a bug and shows its
traceback. ``priorgraph --debug`` shows the traceback of every error. The root command wraps
every sub-command in :func:`cli_errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import click

from priorgraph.core.errors import PriorgraphError

LOST_CONNECTION = (
    "lost the connection to Neo4j (the server stopped or the network dropped): a transaction "
    "that was open is rolled back by the server; re-run the command once the server answers "
    "again (`priorgraph server status`; loads are idempotent)"
)
MEMORY_HINT = (
    " (the load is one transaction and needs more server memory: restart the local server "
    "with a larger PRIORGRAPH_NEO4J_HEAP, e.g. 4g)"
)


def debug_enabled() -> bool:
    """True when the running command was given ``priorgraph --debug``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("debug"))


@contextmanager
def cli_errors() -> Iterator[None]:
    """Report a PriorgraphError as one message and exit code 1 (no traceback), and a Neo4j
    transaction that ran out of server memory, or a connection to Neo4j that was lost, with
    what to do; re-raise everything else, and everything under ``--debug``."""
    try:
        yield
    except PriorgraphError as err:
        if debug_enabled():
            raise
        raise click.ClickException(str(err)) from err
    except Exception as err:  # Neo4j out of memory, or gone, is a message; the rest are bugs
        if debug_enabled():
            raise
        if "MemoryPoolOutOfMemoryError" in str(getattr(err, "code", "")):
            raise click.ClickException(f"Neo4j error: {err}{MEMORY_HINT}") from err
        if type(err).__module__.startswith("neo4j"):
            from neo4j.exceptions import ServiceUnavailable, SessionExpired

            if isinstance(err, ServiceUnavailable | SessionExpired):
                raise click.ClickException(LOST_CONNECTION) from err
        raise


def configure_logging(*, debug: bool = False) -> None:
    """Log lines of the ``priorgraph`` loggers on stderr through rich: warnings and errors, or
    everything with ``debug``. Idempotent (repeated invocations add no second handler)."""
    from rich.console import Console
    from rich.logging import RichHandler

    # the driver logs a lost connection itself, before raising what the CLI reports in one line
    driver_log = logging.getLogger("neo4j")
    if not any(isinstance(h, logging.NullHandler) for h in driver_log.handlers):
        driver_log.addHandler(logging.NullHandler())
    logger = logging.getLogger("priorgraph")
    if not any(isinstance(h, RichHandler) for h in logger.handlers):
        handler = RichHandler(console=Console(stderr=True), show_time=False, show_path=False)
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
