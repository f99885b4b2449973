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

**Streaming.** :func:`fetch_guidance` reads the graph in pages (peaks and genes by id range,
links by pages of peaks) and keeps the links as integer codes (about 20 bytes a link, no Python
object per link); :func:`write_graphml` writes GLUE's GraphML from those codes in chunks, byte
for byte what ``networkx.write_graphml`` writes for :func:`to_glue_graph`'s graph, without
building that graph (a 0.9 M-link graph took minutes and gigabytes in networkx).

**Feature names.** With ``features`` (an AnnData's ``var_names``) the nodes are restricted to
them and gene nodes are *named as the features name them*: a feature ``MARCH8`` or
``ENSG00000165406`` is resolved (:mod:`priorgraph.ingest.gene_resolution`) to ``human:MARCHF8``
and the node is called ``MARCH8``, as GLUE needs graph nodes and ``var_names`` to match.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING
from xml.etree import ElementTree

import networkx as nx
import numpy as np
import pandas as pd

from priorgraph.core.errors import GuidanceGraphError, UsageError
from priorgraph.core.utils import progress as progress_bar
from priorgraph.ingest.gene_resolution import GeneNames, GeneResolver, UnknownGenes
from priorgraph.ingest.peaks import get_assembly
from priorgraph.kg import cypher
from priorgraph.kg.connection import Graph

if TYPE_CHECKING:
    from priorgraph.queries.export import Export

PEAK_NAME_FORMATS = {"colon": "{}:{}-{}", "dash": "{}-{}-{}", "underscore": "{}_{}_{}"}
EDGE_TYPE = ("peak", "linked_to", "gene")
REV_EDGE_TYPE = ("gene", "rev_linked_to", "peak")
DEFAULT_PAGE = 10_000  # nodes per page read (and peaks whose links are read at once)
GRAPHML_CHUNK = 5_000  # nodes whose edges are formatted and written at once (~50 MB of text)
_PEAK_FEATURE = re.compile(r"^[^:\s]+?[:_-]\d+[_-]\d+$")


@dataclass
class GuidanceTables:
    """Nodes and edges of a guidance graph as read from Neo4j (feature names included).

    ``genes`` and ``peaks`` (``id``, ``name``) are sorted by id; ``edges`` has ``peak`` and
    ``gene`` as categoricals over those ids (integer codes underneath), ``weight``, ``sign`` and
    ``method`` (categorical), sorted by (peak, gene, method).
    """

    assembly: str
    species: str
    methods: list[str] | None
    genes: pd.DataFrame  # id, name
    peaks: pd.DataFrame  # id, name
    edges: pd.DataFrame  # peak, gene (categorical ids), weight, sign, method
    missing_features: list[str] = field(default_factory=list)
    names: GeneNames | None = None  # how gene features were resolved

    def __post_init__(self) -> None:
        """Nodes sorted by id; edges coded against them and sorted (hand-made tables too)."""
        self.genes = self.genes.sort_values("id").reset_index(drop=True)
        self.peaks = self.peaks.sort_values("id").reset_index(drop=True)
        e = self.edges
        peak = pd.Categorical(e["peak"], categories=pd.Index(self.peaks["id"]))
        gene = pd.Categorical(e["gene"], categories=pd.Index(self.genes["id"]))
        if (peak.codes < 0).any() or (gene.codes < 0).any():
            raise UsageError("guidance edges name peaks or genes that are not among the nodes")
        method = pd.Categorical(e["method"], categories=sorted(set(e["method"])))
        order = np.lexsort((method.codes, gene.codes, peak.codes))
        self.edges = pd.DataFrame({
            "peak": peak[order], "gene": gene[order],
            "weight": e["weight"].to_numpy(dtype=np.float64)[order],
            "sign": e["sign"].to_numpy(dtype=np.int8)[order], "method": method[order],
        })  # fmt: skip


def _pages(graph: Graph, query: str, assembly: str, page: int, **params) -> Iterator[dict]:
    """Column pages of a query that reads ``assembly:``-prefixed ids by range (see its file)."""
    after, before = f"{assembly}:", f"{assembly};"
    while True:
        rows = cypher.run(graph, query, after=after, before=before, limit=page, **params)
        if not rows or not rows[0]["id"]:
            return
        row = rows[0]
        yield row
        n, after = (row["loci"], row["last"]) if "loci" in row else (len(row["id"]), row["id"][-1])
        if n < page:
            return


def _nodes(
    graph: Graph, assembly: str, peak_names: str, page: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Genes placed on ``assembly`` and its peaks: ``id, name`` sorted by id."""
    fmt = PEAK_NAME_FORMATS[peak_names]
    peaks: list[tuple[str, str]] = []
    for row in _pages(graph, "peaks_guidance_peaks", assembly, page):
        peaks += [
            (i, fmt.format(c, s, e))
            for i, c, s, e in zip(row["id"], row["chrom"], row["start"], row["end"], strict=True)
        ]
    genes: list[tuple[str, str]] = []
    for row in _pages(graph, "peaks_guidance_genes", assembly, page):
        genes += list(zip(row["id"], row["symbol"], strict=True))
    frames = [
        pd.DataFrame(rows, columns=["id", "name"]).drop_duplicates("id").sort_values("id")
        for rows in (genes, peaks)
    ]
    return frames[0].reset_index(drop=True), frames[1].reset_index(drop=True)


def _restrict(
    genes: pd.DataFrame,
    peaks: pd.DataFrame,
    features: Iterable[str],
    resolver: GeneResolver | None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], GeneNames | None]:
    """Keep the nodes ``features`` name; gene nodes take the feature's name. Returns the kept
    genes and peaks, the features without a node, and the gene-name resolution."""
    wanted = list(dict.fromkeys(features))
    peak_set = set(peaks["name"])
    peak_feats = [f for f in wanted if f in peak_set]
    gene_feats = [f for f in wanted if f not in peak_set and not _PEAK_FEATURE.match(f)]
    names = resolver.names(gene_feats, what="features") if resolver is not None else None
    by_symbol = dict(zip(genes["name"], genes["id"], strict=True))
    chosen: dict[str, str] = {}  # gene id -> feature name (an exact symbol wins)
    for feature in sorted(gene_feats, key=lambda f: f not in by_symbol):
        symbol = names.symbol(feature) if names is not None else feature
        gene = by_symbol.get(symbol) if symbol else None
        if gene is not None and gene not in chosen:
            chosen[gene] = feature
    kept_genes = genes[genes["id"].isin(chosen)].assign(name=lambda d: d["id"].map(chosen))
    kept_peaks = peaks[peaks["name"].isin(set(peak_feats))]
    named = set(chosen.values()) | set(peak_feats)
    missing = [f for f in wanted if f not in named]
    return kept_genes.reset_index(drop=True), kept_peaks.reset_index(drop=True), missing, names


def _edges(
    graph: Graph,
    genes: pd.DataFrame,
    peaks: pd.DataFrame,
    methods: Sequence[str] | None,
    page: int,
    progress: bool,
) -> pd.DataFrame:
    """The links between the kept nodes, read by pages of peaks into integer codes."""
    gene_index, peak_index = pd.Index(genes["id"]), pd.Index(peaks["id"])
    method_codes: dict[str, int] = {}
    parts: list[tuple[np.ndarray, ...]] = []
    ids = peaks["id"].tolist()
    (versions,) = cypher.run(graph, "sets_current_versions", type="LINKED_TO")
    with progress_bar(total=len(ids), desc="guidance links", enabled=progress, unit="peak") as bar:
        for first in range(0, len(ids), page):
            chunk = ids[first : first + page]
            (row,) = cypher.run(graph, "peaks_guidance_edges", peaks=chunk,
                                current=versions["current"],
                                methods=list(methods) if methods else None)  # fmt: skip
            gene = gene_index.get_indexer(row["gene"])
            keep = gene >= 0
            method = np.array([method_codes.setdefault(m, len(method_codes))
                               for m in row["method"]], dtype=np.int16)  # fmt: skip
            parts.append((
                peak_index.get_indexer(row["peak"])[keep].astype(np.int32),
                gene[keep].astype(np.int32),
                np.asarray(row["weight"], dtype=np.float64)[keep],
                np.asarray(row["sign"], dtype=np.int8)[keep],
                method[keep],
            ))  # fmt: skip
            bar.update(len(chunk))
    columns = [np.concatenate(c) for c in zip(*parts, strict=True)] if parts else [[]] * 5
    peak, gene, weight, sign, method = columns
    labels = list(method_codes)
    return pd.DataFrame({
        "peak": pd.Categorical.from_codes(np.asarray(peak, dtype=np.int32), peak_index),
        "gene": pd.Categorical.from_codes(np.asarray(gene, dtype=np.int32), gene_index),
        "weight": np.asarray(weight, dtype=np.float64),
        "sign": np.asarray(sign, dtype=np.int8),
        "method": pd.Categorical.from_codes(np.asarray(method, dtype=np.int16), labels),
    })  # fmt: skip


def fetch_guidance(
    graph: Graph,
    assembly: str,
    *,
    methods: Sequence[str] | None = None,
    features: Iterable[str] | None = None,
    peak_names: str = "colon",
    resolver: GeneResolver | None = None,
    unknown_genes: UnknownGenes = "warn",
    page: int = DEFAULT_PAGE,
    progress: bool = False,
) -> GuidanceTables:
    """Read the features and links of one assembly, in pages (see the module docstring).

    ``features`` restricts the nodes to those feature names (an AnnData's ``var_names``): gene
    names are resolved with ``resolver`` (renamed genes keep the feature's name as node name),
    and names the reference does not know are an error or a warning (``unknown_genes``); every
    feature without a node is returned in ``missing_features``. ``peak_names`` picks the peak
    name format: ``colon`` (``chr1:100-600``, 10x), ``dash`` or ``underscore``.
    """
    asm = get_assembly(assembly)
    if peak_names not in PEAK_NAME_FORMATS:
        raise UsageError(f"peak_names must be one of {sorted(PEAK_NAME_FORMATS)}")
    genes, peaks = _nodes(graph, asm.name, peak_names, page)
    missing: list[str] = []
    names = None
    if features is not None:
        genes, peaks, missing, names = _restrict(genes, peaks, features, resolver)
        if names is not None:
            names.check(unknown_genes, path="features", error=GuidanceGraphError,
                        then="left out of the graph")  # fmt: skip
    edges = _edges(graph, genes, peaks, methods, page, progress)
    return GuidanceTables(asm.name, asm.species, list(methods) if methods else None,
                          genes, peaks, edges, missing, names)  # fmt: skip


def to_heterodata(tables: GuidanceTables) -> Export:
    """The tables as a PyG ``HeteroData`` export (forward and reverse edge types)."""
    import torch  # torch and PyG only here: the GraphML path stays light (bounded memory)
    from torch_geometric.data import HeteroData

    from priorgraph.queries.export import Export

    src = torch.as_tensor(tables.edges["peak"].cat.codes.to_numpy(dtype=np.int64))
    dst = torch.as_tensor(tables.edges["gene"].cat.codes.to_numpy(dtype=np.int64))
    weight = torch.as_tensor(tables.edges["weight"].to_numpy(dtype=np.float32))
    sign = torch.as_tensor(tables.edges["sign"].to_numpy(dtype=np.int8))
    data = HeteroData()
    data["gene"].num_nodes = len(tables.genes)
    data["peak"].num_nodes = len(tables.peaks)
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
    node_ids = {"gene": tables.genes["id"].tolist(), "peak": tables.peaks["id"].tolist()}
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


_GRAPHML_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
)
_KEY = '  <key id="d{}" for="edge" attr.name="{}" attr.type="{}" />\n'
_LINK_EDGE = (
    '    <edge source="{}" target="{}" id="{}">\n      <data key="d0">{}</data>\n'
    '      <data key="d1">{}</data>\n      <data key="d2">{}</data>\n'
    '      <data key="d3">{}</data>\n    </edge>\n'
)
_LOOP_EDGE = (
    '    <edge source="{0}" target="{0}" id="0">\n      <data key="d0">1.0</data>\n'
    '      <data key="d1">1</data>\n      <data key="d{1}">loop</data>\n    </edge>\n'
)


def _xml_attr(text: str) -> str:
    """An attribute value escaped as ElementTree (and so networkx) escapes it."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"),
                         ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;")):  # fmt: skip
        text = text.replace(char, entity)
    return text


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def guidance_violations(tables: GuidanceTables) -> list[str]:
    """What would make the GLUE graph of ``tables`` invalid (empty list: valid): weights outside
    (0, 1], signs outside {-1, 1}, and a name shared by two nodes (networkx would merge them).
    Self-loops, fwd/rev twins and edge types hold by construction."""
    e = tables.edges
    out = []
    weight, sign = e["weight"].to_numpy(), e["sign"].to_numpy()
    for i in np.flatnonzero(~((weight > 0) & (weight <= 1)) | ~np.isin(sign, (-1, 1)))[:50]:
        out.append(f"link {e['peak'].iloc[i]} -> {e['gene'].iloc[i]} ({e['method'].iloc[i]}): "
                   f"weight {float(weight[i])!r}, sign {int(sign[i])}")  # fmt: skip
    counts = Counter(tables.genes["name"].tolist() + tables.peaks["name"].tolist())
    out += [f"node name {n!r} names {c} nodes" for n, c in counts.items() if c > 1]
    return out


@dataclass(frozen=True)
class GraphMLSummary:
    """Where a GraphML guidance graph was written and its size."""

    path: Path
    nodes: int
    edges: int


def write_graphml(
    tables: GuidanceTables,
    path: str | Path,
    *,
    chunk: int = GRAPHML_CHUNK,
    progress: bool = False,
) -> GraphMLSummary:
    """Validate, then write GLUE's GraphML of ``tables`` in chunks (gzip-compressed when the
    name ends in ``.gz``): what ``nx.write_graphml(to_glue_graph(tables), path)`` writes, in
    the same order (genes then peaks, each node's edges then its self-loop), without building
    the networkx graph. Written to a temporary file first: a failed export leaves no file."""
    problems = guidance_violations(tables)
    if problems:
        raise GuidanceGraphError(path, f"{len(problems):,} guidance-graph violation(s):",
                                 problems=problems)  # fmt: skip
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    try:
        with _open_out(tmp, gz=path.suffix == ".gz") as out:
            edges = _write_graphml(out, tables, chunk, progress)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return GraphMLSummary(path, len(tables.genes) + len(tables.peaks), edges)


def _open_out(path: Path, *, gz: bool) -> IO[str]:
    if gz:  # level 6: a third of level 9's time for a file 2 % larger
        return gzip.open(path, "wt", encoding="utf-8", compresslevel=6)
    return open(path, "w", encoding="utf-8")


def _write_graphml(out: IO[str], tables: GuidanceTables, chunk: int, progress: bool) -> int:
    e = tables.edges
    gene_names = [_xml_attr(n) for n in tables.genes["name"]]
    peak_names = [_xml_attr(n) for n in tables.peaks["name"]]
    out.write(_GRAPHML_HEAD)
    attrs = ["weight", "sign", *(["method"] if len(e) else []), "type"]
    types = {"weight": "double", "sign": "long", "method": "string", "type": "string"}
    out.writelines(_KEY.format(i, a, types[a]) for i, a in reversed(list(enumerate(attrs))))
    if not gene_names and not peak_names:
        out.write('  <graph edgedefault="directed" />\n</graphml>\n')
        return 0
    out.write('  <graph edgedefault="directed">\n')
    out.writelines(f'    <node id="{n}" />\n' for n in gene_names + peak_names)
    loop_key = len(attrs) - 1
    gene, peak = e["gene"].cat.codes.to_numpy(), e["peak"].cat.codes.to_numpy()
    method = e["method"].cat.codes.to_numpy()
    methods = [_xml_text(m) for m in e["method"].cat.categories]
    total = len(gene_names) + len(peak_names)
    with progress_bar(total=total, desc="GraphML", enabled=progress, unit="node") as bar:
        # genes: fwd edges gene -> peak (by peak, method), then the loop; peaks: rev, then loop
        for order, own, other, own_names, other_names, kind in (
            (np.lexsort((method, peak, gene)), gene, peak, gene_names, peak_names, "fwd"),
            (np.arange(len(e)), peak, gene, peak_names, gene_names, "rev"),
        ):
            own, other = own[order], other[order]
            keys = _parallel_keys(own, other)
            weights = e["weight"].to_numpy()[order]
            signs = e["sign"].to_numpy()[order]
            methods_sorted = method[order]
            bounds = np.searchsorted(own, np.arange(len(own_names) + 1))
            for first in range(0, len(own_names), chunk):
                last = min(first + chunk, len(own_names))
                text = []
                for node in range(first, last):
                    u = own_names[node]
                    for j in range(bounds[node], bounds[node + 1]):
                        text.append(_LINK_EDGE.format(
                            u, other_names[other[j]], keys[j], float(weights[j]),
                            int(signs[j]), methods[methods_sorted[j]], kind,
                        ))  # fmt: skip
                    text.append(_LOOP_EDGE.format(u, loop_key))
                out.write("".join(text))
                bar.update(last - first)
    out.write("  </graph>\n</graphml>\n")
    return 2 * len(e) + total


def _parallel_keys(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """networkx's multigraph edge keys: 0, 1, … over consecutive edges between one node pair."""
    n = len(own)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new_pair = np.ones(n, dtype=bool)
    new_pair[1:] = (own[1:] != own[:-1]) | (other[1:] != other[:-1])
    starts = np.flatnonzero(new_pair)
    run_start = starts[np.cumsum(new_pair) - 1]
    return np.arange(n) - run_start


def read_graphml(path: str | Path) -> nx.MultiDiGraph:
    """Read a GraphML guidance graph back as a ``MultiDiGraph`` (as scglue does); a file that is
    not GraphML (or a truncated ``.gz``) is a :class:`GuidanceGraphError` naming it."""
    try:
        return nx.read_graphml(Path(path), force_multigraph=True)
    except ElementTree.ParseError as err:
        raise GuidanceGraphError(path, f"not valid GraphML: {err}", line=err.position[0]) from err
    except (EOFError, OSError, zlib.error, nx.NetworkXError) as err:
        raise GuidanceGraphError(path, f"not a readable GraphML file: {err}") from err
