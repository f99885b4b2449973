"""Guidance graphs from ``(:Peak)-[:LINKED_TO]->(:Gene)``: PyG ``HeteroData`` and GLUE's form.

**GLUE form** (what ``scglue.models.fit_SCGLUE(..., graph)`` consumes): a ``MultiDiGraph`` whose
node names are the feature names of the AnnData objects (gene symbols; peaks as
``chr1:100-600``), with for every link a forward edge gene → peak (``type='fwd'``), the reverse
edge peak → gene (``type='rev'``) with the same ``weight`` and ``sign``, and a self-loop on every
node (``weight=1``, ``sign=1``, ``type='loop'``). Weights lie in ``(0, 1]``, signs in ``{-1, 1}``.
:func:`validate_guidance` checks each of these rules and returns every violation.

**PyG form**: ``HeteroData`` with node types ``gene`` and ``peak`` and edge types
``('peak', 'linked_to', 'gene')`` and ``('gene', 'rev_linked_to', 'peak')``, each with
``edge_index``, ``edge_weight`` (float32) and ``edge_sign`` (int8); returned as an
:class:`~priorgraph.queries.export.Export` with the node-id map and content hash.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import networkx as nx
import numpy as np
import pandas as pd
import torch
from torch_geometric.data import HeteroData

from priorgraph.core.errors import GuidanceGraphError, UsageError
from priorgraph.ingest.peaks import get_assembly
from priorgraph.kg import cypher
from priorgraph.kg.connection import Graph
from priorgraph.queries.export import Export

PEAK_NAME_FORMATS = {"colon": "{}:{}-{}", "dash": "{}-{}-{}", "underscore": "{}_{}_{}"}
EDGE_TYPE = ("peak", "linked_to", "gene")
REV_EDGE_TYPE = ("gene", "rev_linked_to", "peak")


@dataclass
class GuidanceTables:
    """Nodes and edges of a guidance graph as read from Neo4j (feature names included)."""

    assembly: str
    species: str
    methods: list[str] | None
    genes: pd.DataFrame  # id, name
    peaks: pd.DataFrame  # id, name
    edges: pd.DataFrame  # peak, gene (ids), weight, sign, method
    missing_features: list[str] = field(default_factory=list)


def fetch_guidance(
    graph: Graph,
    assembly: str,
    *,
    methods: Sequence[str] | None = None,
    features: Iterable[str] | None = None,
    peak_names: str = "colon",
) -> GuidanceTables:
    """Read the features and links of one assembly.

    ``features`` restricts the nodes to those feature names (an AnnData's ``var_names``); names
    not in the graph are returned in ``missing_features``. ``peak_names`` picks the peak name
    format: ``colon`` (``chr1:100-600``, 10x), ``dash`` or ``underscore``.
    """
    asm = get_assembly(assembly)
    if peak_names not in PEAK_NAME_FORMATS:
        raise UsageError(f"peak_names must be one of {sorted(PEAK_NAME_FORMATS)}")
    fmt = PEAK_NAME_FORMATS[peak_names]
    params = {"assembly": asm.name, "species": asm.species}
    (columns,) = cypher.run(graph, "peaks_guidance_nodes", **params)
    nodes = pd.DataFrame(columns, columns=["type", "id", "chrom", "start", "end", "symbol"])
    is_peak = nodes["type"] == "peak"
    nodes["name"] = nodes["symbol"]
    nodes.loc[is_peak, "name"] = [
        fmt.format(c, s, e)
        for c, s, e in zip(
            nodes.loc[is_peak, "chrom"],
            nodes.loc[is_peak, "start"],
            nodes.loc[is_peak, "end"],
            strict=True,
        )
    ]
    missing: list[str] = []
    if features is not None:
        wanted = pd.Index(list(features))
        missing = wanted.difference(pd.Index(nodes["name"])).tolist()
        nodes = nodes[nodes["name"].isin(wanted)]
    (columns,) = cypher.run(
        graph, "peaks_guidance_edges", **params, methods=list(methods) if methods else None
    )
    edges = pd.DataFrame(columns)
    keep = set(nodes["id"])
    edges = edges[edges["peak"].isin(keep) & edges["gene"].isin(keep)]
    by_type = {
        t: part[["id", "name"]].sort_values("id").reset_index(drop=True)
        for t, part in nodes.groupby("type")
    }
    empty = pd.DataFrame(columns=["id", "name"])
    return GuidanceTables(
        asm.name,
        asm.species,
        list(methods) if methods else None,
        by_type.get("gene", empty),
        by_type.get("peak", empty),
        edges.sort_values(["peak", "gene", "method"]).reset_index(drop=True),
        missing,
    )


def to_heterodata(tables: GuidanceTables) -> Export:
    """The tables as a PyG ``HeteroData`` export (forward and reverse edge types)."""
    gene_index = pd.Index(tables.genes["id"])
    peak_index = pd.Index(tables.peaks["id"])
    src = torch.as_tensor(peak_index.get_indexer(tables.edges["peak"]), dtype=torch.long)
    dst = torch.as_tensor(gene_index.get_indexer(tables.edges["gene"]), dtype=torch.long)
    weight = torch.as_tensor(tables.edges["weight"].to_numpy(dtype=np.float32))
    sign = torch.as_tensor(tables.edges["sign"].to_numpy(dtype=np.int8))
    data = HeteroData()
    data["gene"].num_nodes = len(gene_index)
    data["peak"].num_nodes = len(peak_index)
    for edge_type, index in ((EDGE_TYPE, (src, dst)), (REV_EDGE_TYPE, (dst, src))):
        data[edge_type].edge_index = (
            torch.stack(index) if len(src) else torch.empty((2, 0), dtype=torch.long)
        )
        data[edge_type].edge_weight = weight
        data[edge_type].edge_sign = sign
    meta = {
        "export": "guidance",
        "assembly": tables.assembly,
        "species": tables.species,
        "methods": tables.methods,
        "edges": len(tables.edges),
    }
    node_ids = {"gene": gene_index.tolist(), "peak": peak_index.tolist()}
    return Export(data, node_ids, meta)


def to_glue_graph(tables: GuidanceTables) -> nx.MultiDiGraph:
    """GLUE's guidance graph: fwd gene → peak, rev peak → gene, a self-loop on every node."""
    names = dict(zip(tables.genes["id"], tables.genes["name"], strict=True))
    names.update(zip(tables.peaks["id"], tables.peaks["name"], strict=True))
    e = tables.edges
    genes = [names[g] for g in e["gene"]]
    peaks = [names[p] for p in e["peak"]]
    attrs = [
        {"weight": float(w), "sign": int(s), "method": m}
        for w, s, m in zip(e["weight"], e["sign"], e["method"], strict=True)
    ]
    g = nx.MultiDiGraph()
    g.add_nodes_from(names.values())
    g.add_edges_from(
        (u, v, {**a, "type": "fwd"}) for u, v, a in zip(genes, peaks, attrs, strict=True)
    )
    g.add_edges_from(
        (v, u, {**a, "type": "rev"}) for u, v, a in zip(genes, peaks, attrs, strict=True)
    )
    g.add_edges_from((n, n, {"weight": 1.0, "sign": 1, "type": "loop"}) for n in names.values())
    return g


def validate_guidance(g: nx.MultiDiGraph, features: Iterable[str] | None = None) -> list[str]:
    """Every violation of GLUE's guidance-graph rules (empty list: valid).

    Rules: a directed multigraph; ``weight`` a number in (0, 1]; ``sign`` in {-1, 1}; ``type``
    in {fwd, rev, loop}, ``loop`` exactly for self-edges; a self-loop on every node; every
    fwd edge u → v matched by a rev edge v → u with the same weight and sign (and vice versa);
    every name in ``features`` a node.
    """
    if not isinstance(g, nx.MultiDiGraph):
        return [f"graph is a {type(g).__name__}, GLUE needs a networkx MultiDiGraph"]
    out: list[str] = []
    looped: set = set()
    balance: Counter = Counter()
    for u, v, key, a in g.edges(keys=True, data=True):
        where = f"edge {u!r} -> {v!r} [{key}]"
        w, s, t = a.get("weight"), a.get("sign"), a.get("type")
        if not isinstance(w, (int, float)) or isinstance(w, bool) or not 0 < w <= 1:
            out.append(f"{where}: weight {w!r} not in (0, 1]")
        if s not in (-1, 1) or isinstance(s, bool):
            out.append(f"{where}: sign {s!r} not in {{-1, 1}}")
        if t not in ("fwd", "rev", "loop"):
            out.append(f"{where}: type {t!r} not in {{fwd, rev, loop}}")
        elif (t == "loop") != (u == v):
            out.append(f"{where}: type {t!r} on {'a self-edge' if u == v else 'a non-self edge'}")
        if u == v and t == "loop":
            looped.add(u)
        elif t == "fwd":
            balance[(u, v, w, s)] += 1
        elif t == "rev":
            balance[(v, u, w, s)] -= 1
    out += [f"node {n!r}: no self-loop" for n in g.nodes if n not in looped]
    for (u, v, w, s), n in balance.items():
        if n > 0:
            out.append(f"fwd edge {u!r} -> {v!r} (weight {w}, sign {s}): no matching rev edge")
        elif n < 0:
            out.append(f"rev edge {v!r} -> {u!r} (weight {w}, sign {s}): no matching fwd edge")
    if features is not None:
        out += [f"feature {f!r}: not a node of the graph" for f in features if f not in g]
    return out


def check_guidance(
    g: nx.MultiDiGraph,
    features: Iterable[str] | None = None,
    *,
    path: str | Path = "guidance graph",
) -> None:
    """Raise :class:`~priorgraph.core.errors.GuidanceGraphError` listing the violations, if
    there are any; ``path`` names the graph (its GraphML file) in the message."""
    violations = validate_guidance(g, features)
    if violations:
        raise GuidanceGraphError(
            path, f"{len(violations):,} guidance-graph violation(s):", problems=violations
        )


def write_graphml(g: nx.MultiDiGraph, path: str | Path) -> Path:
    """Validate, then write GraphML (gzip-compressed when the name ends in ``.gz``)."""
    check_guidance(g, path=path)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nx.write_graphml(g, path)
    return path


def read_graphml(path: str | Path) -> nx.MultiDiGraph:
    """Read a GraphML guidance graph back as a ``MultiDiGraph`` (as scglue does); a file that is
    not GraphML (or a truncated ``.gz``) is a :class:`GuidanceGraphError` naming it."""
    try:
        return nx.read_graphml(Path(path), force_multigraph=True)
    except ElementTree.ParseError as err:
        raise GuidanceGraphError(path, f"not valid GraphML: {err}", line=err.position[0]) from err
    except (EOFError, OSError, zlib.error, nx.NetworkXError) as err:
        raise GuidanceGraphError(path, f"not a readable GraphML file: {err}") from err
