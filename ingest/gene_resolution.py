"""Gene names → the graph's genes: approved symbols, Ensembl ids, previous symbols and aliases.

Every ingest job and export that takes gene names resolves them here, in this order:

1. an **approved symbol** of the reference is kept (``MARCHF8``);
2. an **Ensembl gene id** (``ENSG00000165406``; a version suffix ``.12`` is ignored) becomes
   the symbol of its gene;
3. a **previous symbol** of the Ensembl-derived table (``MARCH8`` → ``MARCHF8``) is taken when
   the new symbol, or the Ensembl id the table gives with it, is known;
4. a previous symbol or **alias from the HGNC table** is taken when exactly one of the approved
   symbols it maps to is known (HGNC maps ``SEPT2`` to both ``SEPTIN2`` and ``SEPTIN6``: with
   both known it is *ambiguous*);
5. anything else is **unknown**.

The reference is the approved symbols and Ensembl ids of a gene table (Ensembl's, registered as
``ensembl.table.human.109``) and of the Gene nodes already in the graph (which win where the two
disagree, so a resolved name always meets the gene the graph has). Without any reference — no
table and no gene of the species in the graph — names are taken as given (``via = "given"``).

A :class:`GeneNames` lists what each name became; :meth:`GeneNames.check` turns unknown and
ambiguous names into an error (``unknown_genes="error"``) or a logged warning (``"warn"``). What
happens to those names then is up to the caller (left out of an ingest, kept as given in an
export), and said in its documentation.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from priorgraph.core.errors import GeneFileError, InputError, SourceError, UsageError
from priorgraph.core.utils import open_text
from priorgraph.ingest import sources
from priorgraph.kg import cypher, ids
from priorgraph.kg.connection import Graph

logger = logging.getLogger(__name__)
UnknownGenes = Literal["error", "warn"]
UNKNOWN_GENES: tuple[str, ...] = ("error", "warn")
VIA = ("approved", "ensembl", "previous", "hgnc", "given", "ambiguous", "unknown")
MAX_NAMED = 10  # names listed in a summary line; the rest are counted
_ENSEMBL_GENE = re.compile(r"^(ENS[A-Z]*G\d{6,})(\.\d+)?$")


@dataclass(frozen=True)
class ReferenceTables:
    """The files of a species' reference: a gene table (``symbol`` + ``ensgene``/``ensembl``
    columns), an Ensembl-derived previous-symbol table (``previous_symbol``, ``current_symbol``,
    ``ensembl_id``) and an HGNC symbol map (``symbol``, ``approved_symbol``); each a path or a
    registered source name, or None."""

    genes: str | Path | None = None
    previous: str | Path | None = None
    hgnc: str | Path | None = None


DEFAULT_TABLES: dict[str, ReferenceTables] = {
    "human": ReferenceTables(
        "ensembl.table.human.109", "ensembl.previous_symbols.human", "hgnc.symbol_map.2022-04"
    ),
    "macaque": ReferenceTables("ensembl.table.macaque.109"),
}


def ensembl_gene_id(name: str) -> str | None:
    """``ENSG00000141510`` for ``ENSG00000141510`` or ``ENSG00000141510.17``; None otherwise."""
    match = _ENSEMBL_GENE.match(name)
    return match[1] if match else None


@dataclass
class GeneReference:
    """What a species' genes are called: approved symbols, Ensembl ids, previous symbols and
    HGNC aliases (see the module docstring), and which files or graph they came from."""

    species: str
    symbols: set[str] = field(default_factory=set)
    ensembl: dict[str, str] = field(default_factory=dict)  # Ensembl id -> approved symbol
    previous: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # -> (symbol, id)
    hgnc: dict[str, tuple[str, ...]] = field(default_factory=dict)  # -> approved symbols
    origins: list[str] = field(default_factory=list)

    def add_genes(self, genes: Iterable[tuple[str, str | None]], origin: str) -> None:
        """Add ``(symbol, Ensembl id or None)`` pairs as approved genes (later pairs win)."""
        n = len(self.symbols)
        for symbol, ensembl in genes:
            if not symbol:
                continue
            self.symbols.add(symbol)
            if ensembl:
                self.ensembl[ensembl] = symbol
        self.origins.append(f"{origin} ({len(self.symbols) - n:,} new symbols)")

    def read_gene_table(self, path: str | Path) -> None:
        """Approved symbols and Ensembl ids of a TSV with ``symbol`` and ``ensgene`` (or
        ``ensembl``) columns, as Ensembl/annotables gene tables."""
        with open_text(path, newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t")
            columns = set(reader.fieldnames or ())
            key = next((c for c in ("ensgene", "ensembl", "ensembl_id") if c in columns), None)
            if "symbol" not in columns:
                raise GeneFileError(
                    path, f"gene table needs a 'symbol' column, has {sorted(columns)}"
                )
            rows = [((r["symbol"] or "").strip(), (r[key] or "").strip() if key else None)
                    for r in reader]  # fmt: skip
        self.add_genes(rows, str(path))

    def read_previous(self, path: str | Path) -> None:
        """Previous → current symbols (with the gene's Ensembl id) of an Ensembl-derived table."""
        need = {"previous_symbol", "current_symbol"}
        with open_text(path, newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t")
            if not need <= set(reader.fieldnames or ()):
                raise GeneFileError(path, f"previous-symbol table needs columns {sorted(need)}")
            for r in reader:
                old, new = (r["previous_symbol"] or "").strip(), (r["current_symbol"] or "").strip()
                if old and new and old != new:
                    self.previous[old] = (new, (r.get("ensembl_id") or "").strip() or None)
        self.origins.append(str(path))

    def read_hgnc(self, path: str | Path) -> None:
        """Symbol → approved symbols of an HGNC map (approved, previous and alias symbols)."""
        found: dict[str, set[str]] = {}
        with open_text(path, newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t")
            if not {"symbol", "approved_symbol"} <= set(reader.fieldnames or ()):
                raise GeneFileError(path, "HGNC map needs columns 'symbol' and 'approved_symbol'")
            for r in reader:
                symbol, approved = (r["symbol"] or "").strip(), (r["approved_symbol"] or "").strip()
                if symbol and approved:
                    found.setdefault(symbol, set()).add(approved)
        self.hgnc.update({s: tuple(sorted(a)) for s, a in found.items()})
        self.origins.append(str(path))

    def add_graph(self, graph: Graph) -> None:
        """The Gene nodes of the species in the graph (their symbols and Ensembl ids)."""
        rows = cypher.run(graph, "genes_known", species=self.species)
        self.add_genes(((r["symbol"], r["ensembl"]) for r in rows), "the graph")

    @property
    def empty(self) -> bool:
        return not self.symbols


@dataclass(frozen=True)
class Resolution:
    """What one name became: ``symbol`` (None when unknown or ambiguous), how (``via``, one of
    :data:`VIA`) and, for an ambiguous name, the known ``candidates``."""

    name: str
    symbol: str | None
    via: str
    candidates: tuple[str, ...] = ()


class GeneResolver:
    """Resolves gene names against a :class:`GeneReference` (rules in the module docstring)."""

    def __init__(self, reference: GeneReference):
        self.reference = reference

    @property
    def species(self) -> str:
        return self.reference.species

    @classmethod
    def load(
        cls,
        graph: Graph | None,
        *,
        species: str = ids.DEFAULT_SPECIES,
        tables: ReferenceTables | None = None,
    ) -> GeneResolver:
        """A resolver over the species' reference tables (``tables``; default
        :data:`DEFAULT_TABLES`) and the graph's genes. A registered table that cannot be
        fetched (no mirror, no network) is left out with a warning; a missing file is an error.
        """
        reference = GeneReference(species)
        chosen = tables if tables is not None else DEFAULT_TABLES.get(species, ReferenceTables())
        unavailable: list[tuple[str, SourceError]] = []
        for arg, read in (
            (chosen.genes, reference.read_gene_table),
            (chosen.previous, reference.read_previous),
            (chosen.hgnc, reference.read_hgnc),
        ):
            if arg is None:
                continue
            try:
                path = sources.resolve(arg, progress=False).path
            except SourceError as err:
                if str(arg) not in sources.REGISTRY:
                    raise
                unavailable.append((str(arg), err))
                continue
            read(path)
        if unavailable:
            logger.warning(
                "gene reference %s unavailable, left out (%s)",
                ", ".join(name for name, _ in unavailable), unavailable[0][1],
            )  # fmt: skip
        if graph is not None:
            reference.add_graph(graph)
        if reference.empty:
            logger.warning(
                "no gene reference for %s (no gene table, no %s genes in the graph): gene "
                "names are taken as given", species, species,
            )  # fmt: skip
        return cls(reference)

    def resolve(self, name: str) -> Resolution:
        """Resolve one name (an approved, Ensembl, previous or alias name)."""
        ref = self.reference
        name = name.strip()
        if name in ref.symbols:
            return Resolution(name, name, "approved")
        ensembl = ensembl_gene_id(name)
        if ensembl is not None:
            symbol = ref.ensembl.get(ensembl)
            return Resolution(name, symbol, "ensembl" if symbol else "unknown")
        if ref.empty:
            return Resolution(name, name, "given")
        if name in ref.previous:
            new, new_ensembl = ref.previous[name]
            symbol = new if new in ref.symbols else ref.ensembl.get(new_ensembl or "")
            if symbol:
                return Resolution(name, symbol, "previous")
        known = tuple(s for s in ref.hgnc.get(name, ()) if s in ref.symbols)
        if len(known) == 1:
            return Resolution(name, known[0], "hgnc")
        if len(known) > 1:
            return Resolution(name, None, "ambiguous", known)
        return Resolution(name, None, "unknown")

    def resolve_row(self, symbol: str, ensembl: str | None) -> Resolution:
        """An annotation row that names a gene twice: its Ensembl id first (symbols get reused
        by other genes across releases), then its symbol. A row whose symbol is its own Ensembl
        id (an unnamed gene, as Ensembl-derived BEDs write them) keeps it (``via="given"``)."""
        if ensembl and (found := self.reference.ensembl.get(ensembl)):
            return Resolution(symbol, found, "approved" if found == symbol else "ensembl")
        if ensembl and ensembl_gene_id(symbol) == ensembl:  # an unnamed gene, named by its id
            return Resolution(symbol, symbol, "given")
        return self.resolve(symbol)

    def names(self, names: Iterable[str], *, what: str) -> GeneNames:
        """Resolve every distinct name of ``names`` (first-seen order); ``what`` says where the
        names come from (a file, ``var of x.h5ad``) for reports and errors."""
        resolved: dict[str, Resolution] = {}
        for name in names:
            if name not in resolved:
                resolved[name] = self.resolve(name)
        return GeneNames(what, self.species, resolved)


@dataclass
class GeneNames:
    """The resolution of a set of names (``resolved``: name → :class:`Resolution`, in input
    order) and what it changed: renamed, unknown and ambiguous names."""

    what: str
    species: str
    resolved: dict[str, Resolution]

    def symbol(self, name: str) -> str | None:
        """The approved symbol of ``name``; None when unknown or ambiguous."""
        found = self.resolved.get(name)
        return found.symbol if found else None

    def gene_id(self, name: str) -> str | None:
        """``species:symbol`` of ``name``; None when unknown or ambiguous."""
        symbol = self.symbol(name)
        return ids.gene_id(symbol, self.species) if symbol else None

    @property
    def mapping(self) -> dict[str, str]:
        """Every resolved name → its approved symbol."""
        return {n: r.symbol for n, r in self.resolved.items() if r.symbol is not None}

    @property
    def renamed(self) -> dict[str, str]:
        """Names that were not approved symbols → the symbol they became."""
        return {n: r.symbol for n, r in self.resolved.items() if r.symbol not in (None, n)}

    @property
    def unknown(self) -> list[str]:
        return [n for n, r in self.resolved.items() if r.via == "unknown"]

    @property
    def ambiguous(self) -> dict[str, tuple[str, ...]]:
        return {n: r.candidates for n, r in self.resolved.items() if r.via == "ambiguous"}

    @property
    def unresolved(self) -> list[str]:
        """Unknown and ambiguous names, in input order."""
        return [n for n, r in self.resolved.items() if r.symbol is None]

    def unique_symbols(self, names: Iterable[str]) -> list[str]:
        """Each name's approved symbol, or the name itself when it is unresolved or when its
        gene is already named by the list (an AnnData's ``var_names`` stay unique)."""
        names = list(names)
        taken = set(names)
        out = []
        for name in names:
            symbol = self.symbol(name)
            if symbol is None or (symbol != name and symbol in taken):
                out.append(name)
            else:
                out.append(symbol)
                taken.add(symbol)
        return out

    def as_dict(self) -> dict[str, object]:
        """For JSON reports: renamed (old → new), unknown and ambiguous names."""
        return {"renamed": self.renamed, "unknown": self.unknown,
                "ambiguous": {n: list(c) for n, c in self.ambiguous.items()}}  # fmt: skip

    def summary(self) -> str:
        """One line: ``12 gene names of x.tsv: 1 renamed (MARCH8 → MARCHF8), 1 unknown (FOO)``."""
        return describe_names(self.as_dict(), f"{len(self.resolved):,} gene names of {self.what}")

    def check(
        self,
        unknown_genes: UnknownGenes,
        *,
        path: str | Path,
        error: type[InputError] = InputError,
        lines: Mapping[str, int] | None = None,
        then: str = "left out",
    ) -> None:
        """Raise ``error`` naming the unknown and ambiguous names and the first line with one
        (``lines``: name → line; ``unknown_genes="error"``), or log them as a warning
        (``"warn"``: ``then`` says what happens to them)."""
        if unknown_genes not in UNKNOWN_GENES:
            raise UsageError(f"unknown_genes must be one of {UNKNOWN_GENES}, not {unknown_genes!r}")
        bad = self.unresolved
        if not bad:
            return
        ambiguous = self.ambiguous
        shown = _listed(f"{n} (ambiguous: {'|'.join(ambiguous[n])})" if n in ambiguous else n
                        for n in bad)  # fmt: skip
        problem = f"{len(bad):,} gene name(s) of {self.species} not found: {shown}"
        if unknown_genes == "error":
            first = min((lines[n] for n in bad if n in lines), default=None) if lines else None
            raise error(
                path, f"{problem}; check them, or pass unknown_genes='warn' (--unknown-genes "
                f"warn) to go on with them {then}", line=first,
            )  # fmt: skip
        logger.warning("%s: %s (%s)", path, problem, then)


def describe_names(found: Mapping[str, Any], what: str) -> str:
    """One line from :meth:`GeneNames.as_dict` (also as stored in reports and export metadata):
    ``what: 1 renamed (MARCH8 → MARCHF8); 1 unknown (FOO); 1 ambiguous (X → A|B)``."""
    parts = []
    if renamed := found.get("renamed"):
        parts.append(
            f"{len(renamed):,} renamed ({_listed(f'{o} → {n}' for o, n in renamed.items())})"
        )
    if unknown := found.get("unknown"):
        parts.append(f"{len(unknown):,} unknown ({_listed(unknown)})")
    if ambiguous := found.get("ambiguous"):
        shown = (f"{n} → {'|'.join(c)}" for n, c in ambiguous.items())
        parts.append(f"{len(ambiguous):,} ambiguous ({_listed(shown)})")
    return f"{what}: " + ("; ".join(parts) if parts else "all approved symbols")


def _listed(items: Iterable[str]) -> str:
    items = list(items)
    more = len(items) - MAX_NAMED
    return ", ".join(items[:MAX_NAMED]) + (f", … {more:,} more" if more > 0 else "")
