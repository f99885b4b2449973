"""The ``priorgraph`` command: one entry point, one sub-command group per part of the data path."""

from __future__ import annotations

import click

from priorgraph import __version__
from priorgraph.commands.demo import demo
from priorgraph.commands.graph import cypher, schema, stats
from priorgraph.commands.server import server
from priorgraph.commands.sources import sources


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="priorgraph")
def main() -> None:
    """priorgraph: biological priors for single-cell models, in one Neo4j graph.

    Connection: NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE, or the local server
    (`priorgraph server start`) when NEO4J_URI is unset.
    """


for command in (server, schema, stats, cypher, sources, demo):
    main.add_command(command)

if __name__ == "__main__":
    main()
