"""``priorgraph sources list|fetch``: the registry of public input files."""

from __future__ import annotations

import click

from priorgraph.ingest import sources as registry
from priorgraph.output import FORMATS, render


@click.group()
def sources() -> None:
    """Public source files: official locations, checksums, local mirror (PRIORGRAPH_DATA_DIR)."""


@sources.command("list")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def list_sources(fmt: str) -> None:
    """Every registered source with its version and where it comes from."""
    rows = [
        {"name": s.name, "version": s.version, "url": s.url or f"(derived: {s.origin})",
         "sha256": (registry.expected_sha256(s) or "pinned at first download")[:16]}
        for s in registry.REGISTRY.values()
    ]  # fmt: skip
    text = render(rows, fmt)
    if text is not None:
        click.echo(text)


@sources.command()
@click.argument("names", nargs=-1, required=True)
def fetch(names: tuple[str, ...]) -> None:
    """Make sources available locally (mirror, cache or download) and print their paths."""
    for name in names:
        click.echo(f"{name}\t{registry.fetch(name)}")
