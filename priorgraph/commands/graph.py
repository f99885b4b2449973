"""``schema apply``, ``stats`` and ``cypher``: generic access to whichever Neo4j is configured."""

from __future__ import annotations

import click

from priorgraph.commands.common import open_graph, parse_param, user_cypher_errors
from priorgraph.core.errors import UsageError
from priorgraph.kg import cypher as store
from priorgraph.kg import versions
from priorgraph.kg.schema import apply_schema
from priorgraph.output import FORMATS, echo_rows
from priorgraph.queries.overview import graph_stats


@click.group()
def schema() -> None:
    """Constraints and indexes."""


@schema.command("apply")
def schema_apply() -> None:
    """Create missing constraints and indexes (idempotent) and wait until they are online;
    adopt relationship sets written before versioned sets (docs/reliability.md)."""
    with open_graph() as graph:
        names = apply_schema(graph)
        adopted = versions.adopt_unversioned(graph)
    click.echo(f"{len(names)} constraints and indexes online: {', '.join(names)}")
    for rel_type, n in adopted.items():
        click.echo(f"{rel_type}: {n} relationships of earlier sets made current")


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def stats(fmt: str) -> None:
    """Node count per label and relationship count per type."""
    with open_graph() as graph:
        rows = graph_stats(graph)
    echo_rows(rows, fmt)


@click.command()
@click.argument("query")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="A query parameter; VALUE is parsed as JSON when it is JSON.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--write", is_flag=True, help="Run in a write transaction (default: read-only).")
def cypher(query: str, params: tuple[str, ...], fmt: str, write: bool) -> None:
    """Run QUERY with parameters; read-only unless --write."""
    parameters = dict(parse_param(p) for p in params)
    with open_graph() as graph, user_cypher_errors():
        rows = graph.write(query, parameters) if write else graph.read(query, parameters)
    echo_rows(rows, fmt)


# Which command runs each group of writing queries, for the hint of `query NAME` on one of them.
WRITERS = {
    "genept_": "`priorgraph ingest genept` (or `priorgraph embed --store`)",
    "build_": "`priorgraph build`",
    "embeddings_": "`priorgraph ingest genept` (or `priorgraph embed --store`)",
    "genes_": "`priorgraph peaks genes`",
    "sets_": "every load that replaces a relationship set (links, GO graph, co-expression, runs)",
    "musegnn_": "`priorgraph train-musegnn`",
    "go_graph_": "`priorgraph go-graph build`",
    "go_similar_": "`priorgraph go-graph build`",
    "peaks_mark_": "`priorgraph liftover`",
    "runs_delete": "`priorgraph runs delete RUN`",
    "runs_write_": "`priorgraph train` or `priorgraph baseline`",
}


def write_hint(name: str) -> str:
    """Why `priorgraph query` does not run the writing query ``name``, and what does."""
    writer = next((cmd for prefix, cmd in WRITERS.items() if name.startswith(prefix)), None)
    runs = f"{writer} runs it" if writer else "priorgraph's ingest and write-back code runs it"
    return (f"{name} writes to the graph and `priorgraph query` runs only the read queries: "
            f"{runs}; for a write of your own, `priorgraph cypher --write`")  # fmt: skip


@click.command("query")
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="A query parameter; VALUE is parsed as JSON when it is JSON.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def named_query(name: str | None, params: tuple[str, ...], fmt: str) -> None:
    """Run the named read query NAME (kg/cypher/NAME.cypher, read-only); without NAME, list the
    read queries with their parameters and what they answer.

    docs/queries.md lists every query, the writing ones too.
    """
    if name is None:
        rows = [{"query": q.name, "parameters": ", ".join(q.parameters), "description":
                 q.description} for q in map(store.get, store.names(mode="read"))]  # fmt: skip
        echo_rows(rows, fmt)
        return
    query = store.get(name)
    if query.mode != "read":
        raise UsageError(write_hint(name))
    parameters = dict(parse_param(p) for p in params)
    query.check_parameters(parameters)
    with open_graph() as graph, user_cypher_errors():
        rows = graph.read(query.text, parameters)
    echo_rows(rows, fmt)
