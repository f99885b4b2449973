"""``priorgraph demo``: the main job end to end on a small sample."""

from __future__ import annotations

import click

from priorgraph.commands.common import cli_errors, open_graph
from priorgraph.commands.graph import graph_stats
from priorgraph.config import Neo4jSettings
from priorgraph.ingest import sample as demo_sample
from priorgraph.ingest.sources import SourceError
from priorgraph.kg.schema import apply_schema
from priorgraph.kg.server import LocalServer
from priorgraph.output import render


@click.command()
@click.option(
    "--generated", is_flag=True, help="Use the generated sample even if the mirror exists."
)
def demo(generated: bool) -> None:
    """Start Neo4j, apply the schema, load a sample (real if mirrored), print graph statistics."""
    with cli_errors():
        if Neo4jSettings.from_env().local:
            info = LocalServer.default().start()
            click.echo(f"Neo4j at {info['uri']} ({'reused' if info['reused'] else 'started'})")
    with open_graph() as graph:
        names = apply_schema(graph)
        click.echo(f"schema: {len(names)} constraints and indexes online")
        try:
            sample = demo_sample.generated_sample() if generated else demo_sample.real_sample()
        except SourceError as err:
            click.echo(f"real sample unavailable ({err}); using a generated one")
            sample = demo_sample.generated_sample()
        counts = demo_sample.load_sample(graph, sample)
        click.echo(f"loaded {sample.provenance.source} {sample.provenance.version}:")
        for part, c in counts.items():
            click.echo(
                f"  {part:15} {c.rows:6} rows, {c.nodes_created + c.relationships_created} new"
            )
        render(graph_stats(graph), "table")
