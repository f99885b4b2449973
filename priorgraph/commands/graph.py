"""``schema apply``, ``stats`` and ``cypher``: generic access to whichever Neo4j is configured."""

from __future__ import annotations

import click

from priorgraph import queries
from priorgraph.commands.common import open_graph, parse_param
from priorgraph.kg.schema import apply_schema
from priorgraph.output import FORMATS, render


@click.group()
def schema() -> None:
    """Constraints and indexes."""


@schema.command("apply")
def schema_apply() -> None:
    """Create missing constraints and indexes (idempotent) and wait until they are online."""
    with open_graph() as graph:
        names = apply_schema(graph)
    click.echo(f"{len(names)} constraints and indexes online: {', '.join(names)}")


def graph_stats(graph) -> list[dict]:
    """Counts per node label and relationship type, as rows ``{kind, name, count}``."""
    rows = [{"kind": "label", "name": r["label"], "count": r["count"]}
            for r in queries.run(graph, "graph_labels")]  # fmt: skip
    rows += [{"kind": "relationship", "name": r["type"], "count": r["count"]}
             for r in queries.run(graph, "graph_relationship_types")]  # fmt: skip
    return rows


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def stats(fmt: str) -> None:
    """Node count per label and relationship count per type."""
    with open_graph() as graph:
        rows = graph_stats(graph)
    text = render(rows, fmt)
    if text is not None:
        click.echo(text)


@click.command()
@click.argument("query")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="A query parameter; VALUE is parsed as JSON when it is JSON.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--write", is_flag=True, help="Run in a write transaction (default: read-only).")
def cypher(query: str, params: tuple[str, ...], fmt: str, write: bool) -> None:
    """Run QUERY with parameters; read-only unless --write."""
    parameters = dict(parse_param(p) for p in params)
    with open_graph() as graph:
        rows = graph.write(query, parameters) if write else graph.read(query, parameters)
    text = render(rows, fmt)
    if text is not None:
        click.echo(text)


@click.command("query")
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="A query parameter; VALUE is parsed as JSON when it is JSON.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def named_query(name: str | None, params: tuple[str, ...], fmt: str) -> None:
    """Run the named query NAME (queries/NAME.cypher, read-only); without NAME, list them.

    The queries and their parameters are listed in docs/queries.md.
    """
    if name is None:
        click.echo("\n".join(queries.names()))
        return
    parameters = dict(parse_param(p) for p in params)
    with open_graph() as graph:
        try:
            text = queries.load(name)
        except KeyError as err:
            raise click.ClickException(str(err.args[0])) from err
        rows = graph.read(text, parameters)
    out = render(rows, fmt)
    if out is not None:
        click.echo(out)
