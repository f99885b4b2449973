"""What the real-data perturbation benches share: a throw-away Neo4j holding the whole human GO
table (2024-02-20 gene→GO table, go-basic is_a) and the Perturb-seq data sets of the data mirror
(``PRIORGRAPH_DATA_DIR``, default ``../shared/data``), ingested into a temporary store.

Used by ``bench/perturb_bench.py`` and ``bench/gears_peer.py``; not a module of the package.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from priorgraph.core.config import data_dir
from priorgraph.core.errors import SourceError
from priorgraph.ingest import sources
from priorgraph.ingest.gene_resolution import GeneResolver
from priorgraph.ingest.go import ingest_go
from priorgraph.ingest.perturbseq import PerturbSeqConfig, ingest
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import apply_schema
from priorgraph.kg.server import temporary_server

# data set → (file in the mirror, benchmark protocols run on it)
DATASETS = {
    "norman": ("perturb/norman2019_k562_crispra_perturbench_subset.h5ad",
               ("doubles", "unseen-singles")),
    "papalexi": ("perturb/papalexi2021_thp1_ko.h5ad", ("unseen-singles",)),
}  # fmt: skip
HEAP = "2g"  # enough for the whole human GO table in one transaction


def mirror() -> Path:
    """The data mirror (``PRIORGRAPH_DATA_DIR``, else ``../shared/data`` beside the checkout)."""
    path = data_dir() or Path(__file__).resolve().parents[2] / "shared" / "data"
    if not path.is_dir():
        raise SourceError(f"no data mirror at {path}: set PRIORGRAPH_DATA_DIR")
    os.environ.setdefault("PRIORGRAPH_DATA_DIR", str(path))
    return path


@dataclass
class Workspace:
    """An open graph with GO loaded, the store the data sets were ingested into, and the GO
    ingest time."""

    graph: Graph
    store: Path
    go_seconds: float


@contextmanager
def workspace(store: Path, datasets: list[str]) -> Iterator[Workspace]:
    """A throw-away server with the whole human GO table and ``datasets`` ingested into
    ``store`` (``NEO4J_URI`` set: that server instead, which must be empty)."""
    root = mirror()
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    with _graph() as graph:
        apply_schema(graph)
        start = time.perf_counter()
        ingest_go(graph, obo=sources.fetch("go.basic.2024.isa_only", progress=False),
                  annotations=sources.fetch("go.gene2go.human.2024", progress=False),
                  kind="table", source="go.gene2go.human", version="2024-02-20",
                  on_error="skip", progress=False)  # fmt: skip
        seconds = time.perf_counter() - start
        genes = GeneResolver.load(graph)  # previous symbols and aliases, as `ingest perturbseq`
        for name in datasets:
            ingest(graph, root / DATASETS[name][0], PerturbSeqConfig(name), store=store,
                   genes=genes, progress=False)  # fmt: skip
        yield Workspace(graph, store, seconds)


@contextmanager
def _graph() -> Iterator[Graph]:
    if os.environ.get("NEO4J_URI"):
        with Graph() as graph:
            yield graph
        return
    with temporary_server(heap=HEAP) as server, Graph(server.settings()) as graph:
        yield graph
