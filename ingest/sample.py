"""A small sample for the demo: real GO annotations of a gene panel, or generated ones offline.

With the mirror (``PRIORGRAPH_DATA_DIR``) present, it loads the GO terms annotated to
``DEMO_GENES`` from the 2024 human gene→GO table, their ``is_a`` edges, and the annotations.
Without it, a seeded random sample of the same shape, marked ``source='generated'``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from priorgraph.ingest import sources
from priorgraph.kg import ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts

# Targets of the Papalexi 2021 THP-1 screen and classic Perturb-seq genes.
DEMO_GENES = (
    "CEBPA", "KLF1", "SPI1", "GATA1", "TP53", "MYC", "STAT1", "STAT2", "STAT3", "IRF1",
    "IRF7", "JAK2", "IFNGR1", "IFNGR2", "CD274", "CMTM6", "SMAD4", "BRD4", "CUL3", "NFKBIA",
)  # fmt: skip


@dataclass
class Sample:
    """Rows ready for the writer, and where they came from."""

    provenance: Provenance
    genes: list[dict] = field(default_factory=list)
    terms: list[dict] = field(default_factory=list)
    is_a: list[dict] = field(default_factory=list)
    annotations: list[dict] = field(default_factory=list)


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def real_sample(genes: tuple[str, ...] = DEMO_GENES) -> Sample:
    """The panel's annotations from the mirrored 2024 human GO table (SourceError if absent)."""
    gene2go = sources.fetch("go.gene2go.human.2024")
    terms = sources.fetch("go.terms.2024")
    is_a = sources.fetch("go.is_a.2024")
    wanted = set(genes)
    with open(gene2go) as handle:
        header = handle.readline().rstrip("\n").split("\t")
        pairs = [line.rstrip("\n").split("\t") for line in handle]
    gi, ti = header.index("gene"), header.index("go_id")
    pairs = [(p[gi], p[ti]) for p in pairs if p[gi] in wanted]
    used = {t for _, t in pairs}
    sample = Sample(Provenance("go.gene2go.human", sources.get("go.gene2go.human.2024").version))
    sample.genes = [{"id": ids.gene_id(g), "symbol": g, "species": "human"} for g in genes]
    sample.terms = [
        {"id": r["go_id"], "name": r["name"], "namespace": r["namespace"]}
        for r in _read_tsv(terms)
        if r["go_id"] in used
    ]
    sample.is_a = [
        {"start": r["child"], "end": r["parent"]}
        for r in _read_tsv(is_a)
        if r["child"] in used and r["parent"] in used
    ]
    sample.annotations = [{"start": ids.gene_id(g), "end": t} for g, t in pairs]
    return sample


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
