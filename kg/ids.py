"""Node identifiers. CURIEs where one exists (``GO:0008150``); otherwise documented composites.

Every identifier is built here, so a reader finds the id scheme of each label in one place.
"""

from __future__ import annotations

import re

from priorgraph.core.errors import UsageError

DEFAULT_SPECIES = "human"
_GO_ID = re.compile(r"^GO:\d{7}$")


def gene_id(symbol: str, species: str = DEFAULT_SPECIES) -> str:
    """``human:KLF1``: species-qualified approved gene symbol (symbols are what GO tables and
    Perturb-seq ``var`` carry; the Ensembl id is the ``ensembl`` property, unique per species)."""
    if not symbol or ":" in species:
        raise UsageError(f"bad gene symbol/species: {symbol!r} / {species!r}")
    return f"{species}:{symbol}"


def locus_id(assembly: str, gene: str) -> str:
    """``hg38:ENSG00000141510``: a gene's place on one assembly, keyed by its Ensembl id (or by
    its symbol when the annotation has none), so each assembly keeps its own coordinates."""
    if not assembly or not gene or ":" in assembly:
        raise UsageError(f"bad assembly/gene of a locus: {assembly!r} / {gene!r}")
    return f"{assembly}:{gene}"


def go_id(term: str) -> str:
    """Validate and return a GO CURIE such as ``GO:0008150``."""
    term = term.strip()
    if not _GO_ID.match(term):
        raise UsageError(f"not a GO id (expected GO: and 7 digits): {term!r}")
    return term


def peak_id(assembly: str, chrom: str, start: int, end: int) -> str:
    """``hg38:chr1:100-600`` (0-based, half-open BED coordinates)."""
    return f"{assembly}:{chrom}:{start}-{end}"


def perturbation_id(dataset: str, condition: str) -> str:
    """``papalexi2021/CEBPA+KLF1``: a condition is only unique within its data set."""
    return f"{dataset}/{condition}"


# The versioned relationship types (kg.versions) and the properties that name one set of each:
# a set's id is its type and these properties (versions.set_id).
SET_SCOPES: dict[str, tuple[str, ...]] = {
    "LINKED_TO": ("method", "assembly"),
    "COEXPRESSED": ("dataset", "split"),
    "GO_SIMILAR": ("graph",),
    "PREDICTED_EFFECT": ("run",),
    "LEARNED_EDGE": ("run",),
}


def gene_symbol(gene: str) -> str:
    """The symbol of gene id ``human:KLF1`` (``KLF1``): what files for other tools name genes by."""
    species, sep, symbol = gene.partition(":")
    if not sep or not species or not symbol:
        raise UsageError(f"not a gene id (expected species:symbol): {gene!r}")
    return symbol
