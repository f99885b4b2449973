"""Uniqueness constraints and indexes: named, idempotent (``IF NOT EXISTS``), applied together;
and the gene embedding kinds, each a Gene property with its own vector index.

The schema is a table, not scattered DDL: adding a label means adding one row here and one
section in docs/schema.md. Embedding *kinds* (``genept``, ``musegnn``) differ only in the Gene
property and the vector index that hold them: a new kind is one more :class:`EmbeddingKind` row
in :data:`KINDS` (and its index DDL in ``kg/cypher``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from priorgraph.core.errors import UsageError
from priorgraph.kg.connection import Graph

# label -> unique key property
UNIQUE_KEYS: dict[str, str] = {
    "Gene": "id",
    "GeneLocus": "id",
    "GOTerm": "id",
    "Peak": "id",
    "Dataset": "id",
    "Perturbation": "id",
    "ModelRun": "id",
    "GOGraph": "id",
    "Source": "id",
    "RelationshipSet": "id",  # the pointer to the current version of a set (kg.versions)
    "EmbeddingSet": "id",  # the pointer to the current slot of an embedding kind
}

# constraint name -> (label, properties unique together where all are set): one Gene per
# species and Ensembl id (genes known by symbol only, without ``ensembl``, are not constrained)
UNIQUE_TOGETHER: dict[str, tuple[str, tuple[str, ...]]] = {
    "gene_species_ensembl_unique": ("Gene", ("species", "ensembl")),
}


@dataclass(frozen=True)
class Index:
    """A range index on node label or relationship type properties."""

    name: str
    target: str  # a label, or a relationship type when ``relationship`` is True
    properties: tuple[str, ...]
    relationship: bool = False


INDEXES: tuple[Index, ...] = (
    Index("gene_species_symbol", "Gene", ("species", "symbol")),
    Index("gene_ensembl", "Gene", ("ensembl",)),
    Index("genelocus_location", "GeneLocus", ("assembly", "chrom", "start")),
    Index("goterm_namespace", "GOTerm", ("namespace",)),
    Index("peak_location", "Peak", ("assembly", "chrom", "start")),
    Index("perturbation_dataset", "Perturbation", ("dataset",)),
    Index("relationship_set_type", "RelationshipSet", ("type",)),
)

# Relationship-property indexes on the keys that MERGE uses to tell parallel relationships apart
# (GO_SIMILAR.graph, PREDICTED_EFFECT.run, …) make the planner seek the index for every merged row
# and filter on the endpoints — quadratic in the number of relationships with that key. Without
# them MERGE expands between its two bound endpoints (Expand(Into)), which is what a load wants.
# ``apply_schema`` drops them where an earlier version created them.
RETIRED_INDEXES: tuple[str, ...] = (
    "go_similar_graph",
    "coexpressed_dataset_split",
    "predicted_effect_run",
    "learned_edge_run",
)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def ident(name: str) -> str:
    """Labels and property names cannot be Cypher parameters; accept only plain identifiers."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


def statements() -> list[str]:
    """The DDL, in application order (constraints first: they create their own index)."""
    out = [
        f"CREATE CONSTRAINT {ident(label.lower())}_{ident(key)}_unique IF NOT EXISTS "
        f"FOR (n:{ident(label)}) REQUIRE n.{ident(key)} IS UNIQUE"
        for label, key in UNIQUE_KEYS.items()
    ]
    out += [
        f"CREATE CONSTRAINT {ident(name)} IF NOT EXISTS FOR (n:{ident(label)}) "
        f"REQUIRE ({', '.join(f'n.{ident(p)}' for p in props)}) IS UNIQUE"
        for name, (label, props) in UNIQUE_TOGETHER.items()
    ]
    for index in INDEXES:
        pattern = (
            f"()-[x:{ident(index.target)}]-()"
            if index.relationship
            else f"(x:{ident(index.target)})"
        )
        props = ", ".join(f"x.{ident(p)}" for p in index.properties)
        out.append(f"CREATE INDEX {ident(index.name)} IF NOT EXISTS FOR {pattern} ON ({props})")
    return out


def apply_schema(graph: Graph) -> list[str]:
    """Create every constraint and index that is missing and wait until all are online.

    Returns the names of the constraints and indexes now present (DDL cannot share a
    transaction with other statements, so each runs in its own).
    """
    for name in RETIRED_INDEXES:
        graph.write(f"DROP INDEX {ident(name)} IF EXISTS")
    for statement in statements():
        graph.write(statement)
    graph.write("CALL db.awaitIndexes(300)")
    names = {row["name"] for row in graph.read("SHOW CONSTRAINTS YIELD name")}
    names |= {row["name"] for row in graph.read("SHOW INDEXES YIELD name")}
    return sorted(names)


@dataclass(frozen=True)
class EmbeddingKind:
    """Where one kind of gene embedding lives: a Gene property and its cosine vector index.

    ``index_query`` names the ``kg/cypher`` DDL that creates the index for ``$dimension``.
    """

    name: str
    property: str
    index: str
    index_query: str

    @property
    def model_property(self) -> str:
        return f"{self.property}_model"

    def meta(self, model: str | None, source: str | None, version: str | None) -> dict:
        """Metadata properties stored beside each vector (all None clears them)."""
        return {
            f"{self.property}_model": model,
            f"{self.property}_source": source,
            f"{self.property}_source_version": version,
        }

    def params(self) -> dict[str, str]:
        return {"property": self.property, "index": self.index}

    @property
    def slots(self) -> tuple[EmbeddingKind, EmbeddingKind]:
        """The two places a version of this kind can live: the kind's own property and index,
        and a second one (``<property>_b``, ``<index>_b``, DDL ``<index_query>_b``). A replace
        writes the slot that is not current and switches to it (``ingest.genept.store``)."""
        second = EmbeddingKind(
            self.name, f"{self.property}_b", f"{self.index}_b", f"{self.index_query}_b"
        )
        return self, second


KINDS: dict[str, EmbeddingKind] = {
    "genept": EmbeddingKind("genept", "genept", "gene_genept", "genept_vector_index"),
    "musegnn": EmbeddingKind("musegnn", "musegnn", "gene_musegnn", "musegnn_vector_index"),
}


def get_kind(name: str) -> EmbeddingKind:
    """The registered embedding kind ``name`` (a UsageError naming the known ones otherwise)."""
    try:
        return KINDS[name]
    except KeyError:
        raise UsageError(f"unknown embedding kind {name!r}; known: {', '.join(KINDS)}") from None
