"""The ``priorgraph`` command: one entry point, one sub-command group per part of the data path."""

from __future__ import annotations

import click

from priorgraph import __version__
from priorgraph.commands.demo import demo
from priorgraph.commands.genept import COMMANDS as GENEPT_COMMANDS
from priorgraph.commands.go import export, go_graph, ingest
from priorgraph.commands.graph import cypher, schema, stats
from priorgraph.commands.peaks import guidance, liftover, peaks
from priorgraph.commands.perturb import COMMANDS as PERTURB_COMMANDS
from priorgraph.commands.server import server
from priorgraph.commands.sources import sources


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="priorgraph")
def main() -> None:
    """priorgraph: biological priors for single-cell models, in one Neo4j graph.

    Connection: NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE, or the local server
    (`priorgraph server start`) when NEO4J_URI is unset.
    """


for command in (
    server,
    schema,
    stats,
    cypher,
    sources,
    demo,
    ingest,
    go_graph,
    export,
    peaks,
    liftover,
    guidance,
    *GENEPT_COMMANDS,
    *PERTURB_COMMANDS,
):
    main.add_command(command)

if __name__ == "__main__":
    main()
