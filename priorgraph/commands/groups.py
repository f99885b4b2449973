"""The command groups that several parts of the data path add to: ``ingest`` and ``export``.

A user finds every loader under ``priorgraph ingest`` and every export under
``priorgraph export``; this table says which module implements each.
"""

from priorgraph.commands.lazy import LazyGroup

_C = "priorgraph.commands"

ingest = LazyGroup(
    name="ingest",
    help="Load public sources into the graph (validated first, idempotent, with provenance).",
    lazy={
        "go": (f"{_C}.go:ingest_go", "GO ontology and annotations (GAF, table, pickle)."),
        "perturbseq": (
            f"{_C}.perturb:ingest_perturbseq",
            "A Perturb-seq h5ad: pseudobulk, DE, effects.",
        ),
        "genept": (
            f"{_C}.genept:ingest_genept",
            "GenePT embeddings (pickle, CSV, NPZ) + vector index.",
        ),
        "coexpression": (
            f"{_C}.musegnn:ingest_coexpression",
            "A co-expression graph per AnnData data set.",
        ),
    },
)

export = LazyGroup(
    name="export",
    help="Export subgraphs and features for models (PyG objects with id maps and content hashes).",
    lazy={
        "go-graph": (f"{_C}.go:export_go_graph", "The GEARS GO graph over a gene list (PyG Data)."),
        "biolord-go": (f"{_C}.go:export_biolord", "bioLORD perturbation AnnData with GO features."),
        "gene-features": (
            f"{_C}.genept:gene_features",
            "Embeddings aligned with an export's id map.",
        ),
    },
)
