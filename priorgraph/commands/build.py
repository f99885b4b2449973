"""``priorgraph build PLAN``: rebuild the database offline with Neo4j's batch importer."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import click

from priorgraph.commands.gene_names import GENE_REFERENCE, load_resolver
from priorgraph.core.config import external_settings, home_dir
from priorgraph.ingest.build import BuildPlan, build
from priorgraph.kg.server import LocalServer


@click.command("build")
@click.argument("plan", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where the CSV files and the new store go [default: PRIORGRAPH_HOME/build].",
)  # fmt: skip
@click.option(
    "--files-only", is_flag=True,
    help="Write the importer's files and print the neo4j-admin command; import nothing.",
)  # fmt: skip
@click.option("--heap", default="1g", show_default=True, help="Heap of the importer's JVM.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the build report (steps, counts, seconds) as JSON.")  # fmt: skip
@GENE_REFERENCE
def build_command(
    plan: Path,
    directory: Path | None,
    files_only: bool,
    heap: str,
    report: Path | None,
    gene_reference: str,
) -> None:
    """Rebuild the whole database from PLAN (a TOML build plan, docs/build.md), offline.

    The plan's inputs go through the ingest jobs' own checks and rows into CSV files that
    Neo4j's batch importer loads into a new store; the local server is then stopped, the new
    store swapped in and checked (counts per label and type, constraints, indexes), and the
    old store deleted, or restored when the check fails. With NEO4J_URI set (a Neo4j that
    priorgraph does not manage) or --files-only, the files are written and the
    `neo4j-admin database import full` command that loads them is printed instead.
    """
    parsed = BuildPlan.read(plan)
    external = external_settings() is not None
    server = None if external or files_only else LocalServer.default()
    resolver = functools.partial(load_resolver, None, reference=gene_reference)
    result, files = build(
        parsed, directory or home_dir() / "build", server=server,
        resolver=resolver, heap=heap, progress=True,
    )  # fmt: skip
    counts = f"{sum(result.labels.values()):,} nodes, {result.relationships:,} relationships"
    if result.command is not None:
        where = "NEO4J_URI is set: run on that server" if external else "files written"
        click.echo(f"build: {counts}; {where} (on a cluster: on the primary):")
        click.echo(result.command)
        if files.indexes:
            click.echo(
                f"then create the vector index {', '.join(files.indexes)}: its statement and "
                "parameters are in --report FILE (files.indexes)"
            )
    else:
        seconds = result.seconds
        click.echo(
            f"build: {counts} imported and swapped in ({seconds['total']:.1f} s: rows "
            f"{seconds['ingest']:.1f} s, CSV {seconds['csv']:.1f} s, import "
            f"{seconds['import']:.1f} s, swap {seconds['swap']:.1f} s)"
        )
    if report is not None:
        files_part = {"nodes": files.nodes, "relationships": files.relationships,
                      "empty_lists": files.statements(), "indexes": files.indexes}  # fmt: skip
        report.write_text(json.dumps({**result.__dict__, "files": files_part}, indent=2,
                                     default=str))  # fmt: skip
