"""A generated GO sample (genes, terms, ``is_a`` edges, annotations) for offline demos and tests.

Seeded and marked ``source='generated'``; real GO data goes through :mod:`priorgraph.ingest.go`
(``ingest_panel`` for a gene panel from the registered sources).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from priorgraph.kg import ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts


@dataclass
class Sample:
    """Rows ready for the writer, and where they came from."""

    provenance: Provenance
    genes: list[dict] = field(default_factory=list)
    terms: list[dict] = field(default_factory=list)
    is_a: list[dict] = field(default_factory=list)
    annotations: list[dict] = field(default_factory=list)


def generated_sample(n_genes: int = 20, n_terms: int = 40, seed: int = 0) -> Sample:
    """A seeded random sample with the same labels and relationship types."""
    rng = np.random.default_rng(seed)
    sample = Sample(Provenance("generated", f"seed-{seed}"))
    sample.genes = [
        {"id": ids.gene_id(f"GENE{i}"), "symbol": f"GENE{i}", "species": "human"}
        for i in range(n_genes)
    ]
    namespaces = ("biological_process", "molecular_function", "cellular_component")
    term_ids = [f"GO:{9_000_000 + i:07d}" for i in range(n_terms)]
    sample.terms = [
        {"id": t, "name": f"generated term {i}", "namespace": namespaces[i % 3]}
        for i, t in enumerate(term_ids)
    ]
    sample.is_a = [{"start": term_ids[i], "end": term_ids[(i - 1) // 2]} for i in range(1, n_terms)]
    sample.annotations = [
        {"start": g["id"], "end": term_ids[j]}
        for g in sample.genes
        for j in rng.choice(n_terms, size=5, replace=False)
    ]
    return sample


def load_sample(graph: Graph, sample: Sample) -> dict[str, WriteCounts]:
    """Write the whole sample in one transaction; idempotent."""
    writer = BatchWriter(graph, sample.provenance, progress=False)
    gene, term = ("Gene", "id"), ("GOTerm", "id")
    with writer.transaction():
        counts = {
            "Gene": writer.merge_nodes("Gene", sample.genes),
            "GOTerm": writer.merge_nodes("GOTerm", sample.terms),
            "IS_A": writer.merge_relationships("IS_A", sample.is_a, start=term, end=term),
            "ANNOTATED_WITH": writer.merge_relationships(
                "ANNOTATED_WITH", sample.annotations, start=gene, end=term
            ),
        }
        writer.record_source(kind="demo-sample")
    return counts
