"""The prior a perturbation model trains on: the GO graph around the targets, over every gene.

GEARS embeds a perturbation on a GO graph built over all annotated genes, so a target that
nobody measured still has ~20 GO neighbours to borrow from. Restricting that graph to a data
set's measured genes (a few hundred highly variable genes) leaves most targets isolated. The
export here therefore takes the GO graph over the whole gene universe of the graph — a stored
GO graph (``priorgraph go-graph build``), or one computed on the spot from every annotated gene
— and keeps the ``hops``-step neighbourhood of the targets plus the measured genes:

    nodes = measured ∪ targets ∪ {v : dist_GO(v, targets) ≤ hops}

with the universe's edges among those nodes (each target keeps its own top-k neighbours). It
reports the targets left without any GO neighbour, which every export and ``train`` prints.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch_geometric.data import Data

from priorgraph.core.errors import UsageError
from priorgraph.ingest.go_graph import DEFAULT_K, gene_terms_from_graph, go_similarity
from priorgraph.kg import cypher
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import batched
from priorgraph.queries.export import HOMOGENEOUS, Export
from priorgraph.queries.export_go import go_graph_export

log = logging.getLogger(__name__)


@dataclass
class PerturbationGraph:
    """The GO export a model trains on, and which targets found no neighbour in it."""

    export: Export
    targets: list[str]
    isolated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for logs and the CLI."""
        n = len(self.export.node_ids[HOMOGENEOUS])
        edges = int(self.export.data.edge_index.shape[1])
        return (f"GO prior: {n} genes, {edges} edges; {len(self.isolated)} of "
                f"{len(self.targets)} targets without a GO neighbour"
                + (f" ({', '.join(self.isolated[:10])})" if self.isolated else ""))  # fmt: skip


def _stored_neighbourhood(
    graph: Graph, go_graph: str, seeds: Sequence[str], hops: int, k: int
) -> set[str]:
    """Genes within ``hops`` GO_SIMILAR steps of ``seeds`` in a stored GO graph."""
    reached, frontier = set(seeds), list(dict.fromkeys(seeds))
    for _ in range(hops):
        found: set[str] = set()
        for chunk in batched(frontier, 5_000):
            rows = cypher.run(graph, "go_graph_neighbours", go_graph=go_graph, genes=chunk,
                              max_rank=k + 1)  # fmt: skip
            found |= {r["neighbour"] for r in rows}
        frontier = sorted(found - reached)
        reached |= found
    return reached


def perturbation_go_graph(
    graph: Graph,
    *,
    measured: Sequence[str],
    targets: Sequence[str],
    go_graph: str | None = None,
    hops: int = 1,
    k: int = DEFAULT_K,
) -> PerturbationGraph:
    """The GO graph over ``measured`` + ``targets`` (gene ids) and the targets' ``hops``-step
    universe neighbourhood (module doc). ``go_graph`` names a stored graph; None computes the
    GEARS graph over every annotated gene first."""
    if hops < 0:
        raise UsageError(f"hops must be ≥ 0, got {hops}")
    targets = list(dict.fromkeys(targets))
    if go_graph is not None:
        near = _stored_neighbourhood(graph, go_graph, targets, hops, k)
        nodes = list(dict.fromkeys([*measured, *targets, *sorted(near)]))
        export = go_graph_export(graph, nodes, k=k, graph_name=go_graph)
    else:
        gene_terms, versions = gene_terms_from_graph(graph)
        if not gene_terms:
            raise UsageError("no GO annotations in the graph: ingest GO first")
        universe = sorted(set(gene_terms) | set(targets) | set(measured))
        edges = go_similarity(universe, gene_terms, k=k)
        near, frontier = set(targets), set(targets)
        index = {g: i for i, g in enumerate(universe)}
        source, target = edges.source.tolist(), edges.target.tolist()
        for _ in range(hops):
            ids_ = {index[g] for g in frontier}
            step = {universe[s] for s, t in zip(source, target, strict=True) if t in ids_}
            step |= {universe[t] for s, t in zip(source, target, strict=True) if s in ids_}
            frontier = step - near
            near |= step
        nodes = list(dict.fromkeys([*measured, *targets, *sorted(near)]))
        row = {g: i for i, g in enumerate(nodes)}
        keep = [i for i, (s, t) in enumerate(zip(source, target, strict=True))
                if universe[s] in row and universe[t] in row]  # fmt: skip
        data = Data(
            edge_index=torch.tensor([[row[universe[source[i]]] for i in keep],
                                     [row[universe[target[i]]] for i in keep]],
                                    dtype=torch.long).reshape(2, -1),
            edge_weight=torch.tensor([float(edges.jaccard[i]) for i in keep], dtype=torch.float32),
            num_nodes=len(nodes),
        )  # fmt: skip
        export = Export(data, {HOMOGENEOUS: nodes}, {
            "kind": "go-graph", "k": k, "graph": None, "universe": len(universe),
            "annotation_versions": versions, "n_edges": len(keep),
            "unannotated": [g for g in nodes if not gene_terms.get(g)],
        })  # fmt: skip
    export.meta["hops"] = hops
    index = export.index()
    source, target = export.data.edge_index
    linked = {int(i) for s, t in zip(source.tolist(), target.tolist(), strict=True) if s != t
              for i in (s, t)}  # fmt: skip
    isolated = [t for t in targets if index[t] not in linked]
    prior = PerturbationGraph(export, targets, isolated)
    if isolated:
        log.warning("%d of %d targets have no GO neighbour in the prior: %s", len(isolated),
                    len(targets), ", ".join(isolated[:10]))  # fmt: skip
    return prior
