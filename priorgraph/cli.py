"""The ``priorgraph`` command: one entry point, one sub-command group per part of the data path.

Sub-commands are imported when they run (:class:`~priorgraph.commands.lazy.LazyGroup`), so
``priorgraph --help`` does not load torch or scanpy. Every sub-command runs inside
:func:`~priorgraph.commands.reporting.cli_errors`: expected failures (a ``PriorgraphError``) end
with one message and exit code 1, anything else with its traceback, and ``--debug`` shows the
traceback of every error (and the library's debug log lines).
"""

from __future__ import annotations

import click

from priorgraph import __version__
from priorgraph.commands.groups import export, ingest
from priorgraph.commands.lazy import LazyGroup
from priorgraph.commands.reporting import cli_errors, configure_logging

_C = "priorgraph.commands"
COMMANDS: dict[str, tuple[str, str]] = {
    # the graph itself
    "server": (f"{_C}.server:server", "Run the local Neo4j 5.26 (127.0.0.1, auth on)."),
    "browser": (f"{_C}.server:browser", "Neo4j Browser of the local server: URL and login."),
    "schema": (f"{_C}.graph:schema", "Constraints and indexes."),
    "stats": (f"{_C}.graph:stats", "Node count per label, relationship count per type."),
    "cypher": (f"{_C}.graph:cypher", "Run a Cypher query with parameters (read-only by default)."),
    "query": (f"{_C}.graph:named_query", "Run a named read query of kg/cypher/ (docs/queries.md)."),
    "sources": (f"{_C}.sources:sources", "Public source files: URLs, checksums, local mirror."),
    "demo": (f"{_C}.demo:demo", "The main job end to end on a small sample."),
    "build": (
        f"{_C}.build:build_command",
        "Rebuild the database offline from a plan (bulk import).",
    ),
    # GO priors
    "go-graph": (f"{_C}.go:go_graph", "GEARS GO-similarity graphs (build, list, query)."),
    # peaks, liftOver, GLUE
    "peaks": (f"{_C}.peaks:peaks", "ATAC peaks, genes, orthologs and peak–gene links."),
    "liftover": (f"{_C}.peaks:liftover", "Lift peaks through a UCSC chain; conserved peaks."),
    "guidance": (f"{_C}.peaks:guidance", "GLUE guidance graphs and PyG HeteroData exports."),
    # GenePT
    "embed": (f"{_C}.genept:embed", "Embed gene summaries (OpenAI or the offline model)."),
    "similar-genes": (f"{_C}.genept:similar_genes", "Nearest genes by embedding (vector index)."),
    "embed-cells": (f"{_C}.genept:embed_cells", "GenePT-w/-s cell embeddings, evaluated vs PCA."),
    # Perturb-seq, models, write-back
    "split": (f"{_C}.perturb:split", "Train/val/test splits and their co-expression graphs."),
    "baseline": (f"{_C}.perturb:baseline", "Fit, evaluate and write back a baseline."),
    "train": (f"{_C}.train:train", "Train a model on graph exports, evaluate, write back."),
    "benchmark": (
        f"{_C}.benchmark:benchmark",
        "Every model and baseline on the same random partitions of a data set.",
    ),
    "simulate": (f"{_C}.train:simulate_command", "Known-truth Perturb-seq-like data."),
    "runs": (f"{_C}.perturb:runs", "Model runs written back to the graph."),
    "effects": (
        f"{_C}.perturb:effects",
        "Predicted and observed effects for a gene or perturbation.",
    ),
    "train-musegnn": (f"{_C}.musegnn:train_musegnn", "MuSe-GNN-style gene embeddings."),
}


class RootGroup(LazyGroup):
    """The ``priorgraph`` group: every sub-command runs inside :func:`cli_errors`."""

    def invoke(self, ctx: click.Context) -> object:
        with cli_errors():
            return super().invoke(ctx)


@click.group(cls=RootGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the traceback of every error, and debug logs.")
@click.version_option(__version__, prog_name="priorgraph")
def main(debug: bool) -> None:
    """priorgraph: biological priors for single-cell models, in one Neo4j graph.

    Connection: NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE, or the local server
    (`priorgraph server start`) when NEO4J_URI is unset.
    """
    configure_logging(debug=debug)


main.add_command(ingest)
main.add_command(export)

if __name__ == "__main__":
    main()
