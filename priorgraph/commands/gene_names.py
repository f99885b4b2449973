"""The gene-name options every command that takes gene names shares, and their report lines.

``--unknown-genes error|warn`` says what a name no reference knows does (stop, or go on and list
it); ``--gene-reference`` names the table of approved symbols and Ensembl ids used besides the
graph's own genes (``default``: the species' registered tables, see
:mod:`priorgraph.ingest.gene_resolution`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import click

from priorgraph.ingest.gene_resolution import (
    DEFAULT_TABLES,
    UNKNOWN_GENES,
    GeneNames,
    GeneResolver,
    ReferenceTables,
    describe_names,
)
from priorgraph.kg.connection import Graph


def unknown_genes_option(default: str, then: str) -> Callable[[Any], Any]:
    """``--unknown-genes``; ``then`` says what ``warn`` does with such names in this command."""
    return click.option(
        "--unknown-genes",
        type=click.Choice(UNKNOWN_GENES),
        default=default,
        show_default=True,
        help=f"Gene names that no reference knows: stop (error), or list them and go on (warn: "
        f"{then}).",
    )


GENE_REFERENCE = click.option(
    "--gene-reference",
    default="default",
    show_default=True,
    envvar="PRIORGRAPH_GENE_REFERENCE",
    help="Approved symbols and Ensembl ids besides the graph's genes: a gene table (path or "
    "source name), 'default' (the species' registered tables) or 'none' "
    "[env: PRIORGRAPH_GENE_REFERENCE].",
)


def load_resolver(graph: Graph | None, species: str, reference: str) -> GeneResolver:
    """The resolver of ``--gene-reference`` for ``species`` (see the module docstring)."""
    default = DEFAULT_TABLES.get(species, ReferenceTables())
    if reference == "default":
        tables = default
    elif reference == "none":
        tables = ReferenceTables()
    else:
        tables = ReferenceTables(reference, default.previous, default.hgnc)
    return GeneResolver.load(graph, species=species, tables=tables)


def echo_names(*names: GeneNames | None) -> None:
    """One line per resolution that renamed or missed something."""
    for found in names:
        if found is not None and (found.renamed or found.unresolved):
            click.echo(found.summary())


def echo_name_report(found: Mapping[str, Any] | None, what: str) -> None:
    """The same line from a report's or an export's stored :meth:`GeneNames.as_dict`."""
    if found and any(found.get(k) for k in ("renamed", "unknown", "ambiguous")):
        click.echo(describe_names(found, what))
