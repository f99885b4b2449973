"""``priorgraph sources list|fetch``: the registry of public input files."""

from __future__ import annotations

import click

from priorgraph.core.config import data_dir
from priorgraph.ingest import sources as registry
from priorgraph.output import FORMATS, echo_rows


@click.group()
def sources() -> None:
    """Public source files: official locations, checksums, local mirror (PRIORGRAPH_DATA_DIR)."""


@sources.command("list")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def list_sources(fmt: str) -> None:
    """Every registered source: version, its path in a mirror and whether this machine has
    it (``local``: mirror, cache or no), the full sha256 and where it comes from."""
    mirror, cache = data_dir(), registry.cache_dir()
    rows = []
    for source in registry.REGISTRY.values():
        found = registry.local_copy(source)
        local = "no" if found is None else "mirror" if mirror and found.is_relative_to(mirror) \
            else "cache" if found.is_relative_to(cache) else str(found)  # fmt: skip
        sha256 = registry.expected_sha256(source) or "pinned at first download"
        rows.append({
            "name": source.name, "version": source.version, "mirror": source.mirror,
            "local": local, "sha256": sha256, "url": source.url or f"(derived: {source.origin})",
        })  # fmt: skip
    echo_rows(rows, fmt)
    if fmt == "table":
        where = f"PRIORGRAPH_DATA_DIR={mirror}" if mirror else "PRIORGRAPH_DATA_DIR not set"
        click.echo(f"mirror: {where}; downloads cache: {cache}", err=True)


@sources.command()
@click.argument("names", nargs=-1, required=True)
def fetch(names: tuple[str, ...]) -> None:
    """Make sources available locally (mirror, cache or download) and print their paths."""
    for name in names:
        click.echo(f"{name}\t{registry.fetch(name)}")
