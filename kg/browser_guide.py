"""The priorgraph guide of Neo4j Browser, written from the named queries of ``kg/cypher``.

Neo4j Browser plays it after login (``browser.post_connect_cmd``: ``:play
http://127.0.0.1:7474/guides/priorgraph.html``): slides a user clicks through, one topic each —
what the graph holds, a gene's GO neighbourhood, the peaks of a gene, conserved peaks, the
predicted effects on a gene, learned edges. Each query block is the text of a named query
(:mod:`priorgraph.kg.cypher`, description above it) and comes after a ``:param`` block with
example values for exactly its parameters: a click puts the block into the editor, Ctrl+Enter
runs it. Built from the queries at every server start, so the guide and ``priorgraph query``
never differ.

The format is what both ``:play <url>`` and ``:guide <url>`` of Neo4j Browser 5 read: HTML with
one ``<slide>`` per topic inside a ``<carousel>``, runnable blocks as ``<pre class="runnable">``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from priorgraph.kg import cypher
from priorgraph.kg.ids import SET_SCOPES
from priorgraph.kg.private_files import write_private

GUIDE_FILE = "priorgraph.html"  # the launcher plays this one after login
GENE = "human:STAT1"


@dataclass(frozen=True)
class Block:
    """A named read query and example values for every one of its parameters."""

    query: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Slide:
    """One topic: a title, a line of HTML that explains it, and its query blocks."""

    title: str
    intro: str
    blocks: tuple[Block, ...]


SLIDES: tuple[Slide, ...] = (
    Slide(
        "What is in the graph",
        "Click a block to put it into the editor, then run it with <kbd>Ctrl</kbd>+"
        "<kbd>Enter</kbd> (or ▶). A <code>:param</code> block sets the parameters of the query "
        "after it. Start with the schema as a picture and the counts per label and type.",
        (
            Block("browser_schema", {}),
            Block("graph_labels", {}),
            Block("graph_relationship_types", {"versioned": sorted(SET_SCOPES)}),
        ),
    ),
    Slide(
        "A gene's GO neighbourhood",
        "Genes are <code>species:SYMBOL</code> (<code>human:STAT1</code>); GO-similarity graphs "
        "(GEARS) are stored by name, listed by <code>go_graphs</code> (<code>priorgraph demo"
        "</code> builds <code>demo_go</code>). Draw STAT1 with its GO terms and GO-graph "
        "neighbours, then see the neighbours and shared terms as a table.",
        (
            Block("go_graphs", {}),
            Block("browser_gene_go", {"gene": GENE, "go_graph": "demo_go"}),
            Block("go_neighbours", {"gene": GENE, "go_graph": "demo_go"}),
            Block("go_gene_annotations", {"gene": GENE, "include_inferred": False}),
        ),
    ),
    Slide(
        "The peaks of a gene",
        "ATAC peaks are linked to genes (<code>LINKED_TO</code>, by method); a peak that lifts "
        "over to the other assembly (<code>LIFTS_TO</code>) is conserved.",
        (Block("browser_gene_peaks", {"gene": GENE, "limit": 50}),),
    ),
    Slide(
        "Conserved peaks",
        "Conserved peaks linked to a gene, the genes with the most conserved regulatory input, "
        "and links kept across species by a lifted peak and an ortholog.",
        (
            Block(
                "peaks_conserved_for_gene", {"assembly": "hg38", "symbol": "STAT1", "methods": None}
            ),
            Block("peaks_top_conserved_genes", {"assembly": "hg38", "methods": None, "limit": 25}),
            Block("peaks_conserved_orthologs", {"assembly": "hg38", "symbol": "STAT1"}),
        ),
    ),
    Slide(
        "Predicted effects on a gene",
        "Model runs write their predictions back: which perturbations are predicted (and "
        "observed) to move STAT1? <code>run: null</code> takes every run.",
        (
            Block("runs_list", {"dataset": None}),
            Block("browser_gene_effects", {"gene": GENE, "run": None, "top": 25}),
            Block("effects_gene", {"gene": GENE, "run": None, "dataset": None, "top": 25}),
        ),
    ),
    Slide(
        "Learned edges",
        "AdaPert-style runs write the gene–gene edges they learned for each perturbation "
        "(<code>LEARNED_EDGE</code>); perturbations are <code>dataset/condition</code>.",
        (
            Block(
                "browser_learned_edges",
                {"perturbation": "papalexi2021/JAK2+ctrl", "run": None, "top": 50},
            ),
            Block(
                "learned_edges_perturbation",
                {"perturbation": "papalexi2021/JAK2+ctrl", "run": None, "top": 50},
            ),
        ),
    ),
)


def cypher_literal(value: Any) -> str:
    """``value`` as a Cypher literal (strings quoted, None as null, maps and lists nested)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {cypher_literal(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(cypher_literal(v) for v in value) + "]"


def query_body(name: str) -> str:
    """The named query's text without its ``//`` header (its description is shown apart)."""
    lines = cypher.load(name).splitlines()
    while lines and lines[0].startswith("//"):
        lines.pop(0)
    return "\n".join(lines).strip()


def render() -> str:
    """The guide as HTML; every title, description and query is escaped."""
    slides = []
    for slide in SLIDES:
        parts = [f"<h3>{html.escape(slide.title)}</h3>", f"<p>{slide.intro}</p>"]
        for block in slide.blocks:
            query = cypher.get(block.query)
            parts.append(
                f"<p><em>{html.escape(query.name)}</em>: {html.escape(query.description)}</p>"
            )
            if block.params:
                params = html.escape(cypher_literal(block.params))
                parts.append(f'<pre class="runnable">:param {params}</pre>')
            parts.append(f'<pre class="runnable">{html.escape(query_body(block.query))}</pre>')
        slides.append("<slide>\n" + "\n".join(parts) + "\n</slide>")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>priorgraph</title></head>\n'
        "<body>\n<carousel>\n" + "\n".join(slides) + "\n</carousel>\n</body></html>\n"
    )


def write_guide(directory: Path) -> Path:
    """(Re)write the guide into ``directory`` (the launcher's ``--guides-dir``), privately."""
    path = directory / GUIDE_FILE
    write_private(path, render())
    return path
