"""Node identifiers. CURIEs where one exists (``GO:0008150``); otherwise documented composites.

Every identifier is built here, so a reader finds the id scheme of each label in one place.
"""

from __future__ import annotations

import re

from priorgraph.core.errors import UsageError

DEFAULT_SPECIES = "human"
_GO_ID = re.compile(r"^GO:\d{7}$")


def gene_id(symbol: str, species: str = DEFAULT_SPECIES) -> str:
    """``human:KLF1``: species-qualified gene symbol (symbols are what GO tables and
    Perturb-seq ``var`` carry; Ensembl ids are kept as the ``ensembl`` property)."""
    if not symbol or ":" in species:
        raise UsageError(f"bad gene symbol/species: {symbol!r} / {species!r}")
    return f"{species}:{symbol}"


def gene_symbol(gene: str) -> str:
    """The symbol of a gene id built by :func:`gene_id` (``human:KLF1`` → ``KLF1``)."""
    species, sep, symbol = gene.partition(":")
    if not sep or not species or not symbol:
        raise UsageError(f"not a gene id (species:symbol): {gene!r}")
    return symbol


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
