"""Gene Ontology: the ontology (OBO, via goatools) and gene annotations (GAF 2.x, a two-column
``gene go_id`` table, or GEARS's ``gene2go`` pickle) into the graph.

Graph written (every node and relationship carries ``source``/``source_version``)::

    (:GOTerm {id, name, namespace, obsolete, replaced_by, consider, alt_ids})
    (:GOTerm)-[:IS_A]->(:GOTerm), (:GOTerm)-[:PART_OF]->(:GOTerm)
    (:Gene {id, symbol, species})-[:ANNOTATED_WITH {source, evidence, aspect, qualifier,
                                                     inferred}]->(:GOTerm)

One ``ANNOTATED_WITH`` per gene, term and annotation source (GAF lines of the same pair are
merged; their evidence codes and qualifiers kept as sorted lists). ``--propagate`` adds the
true-path ancestors (up ``IS_A`` and ``PART_OF``) with ``inferred = true``.

Checks, all before the first write: malformed OBO stanzas, GAF lines with the wrong number of
columns, malformed GO ids, annotations to unknown GO ids, annotations to obsolete terms without a
``replaced_by``, empty files. Each is a :class:`~priorgraph.core.errors.Problem` naming file,
line and problem; with ``on_error="raise"`` the first one stops the run
(:class:`~priorgraph.core.errors.GOFileError`), with ``"skip"`` the offending stanza/line is left
out and the problem listed in the :class:`GOIngestReport`.
Annotations to obsolete terms with a ``replaced_by`` (and to ``alt_id``s) are moved to the
current term and listed as ``remapped``; NOT-qualified GAF lines are excluded and counted.
Everything is written in one transaction, so a failed run leaves the graph as it was.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from goatools.obo_parser import GODag

from priorgraph.core.datafiles import load_pickle
from priorgraph.core.errors import GOFileError, OnError, Problem, Problems, UsageError
from priorgraph.core.utils import open_text, progress_step
from priorgraph.ingest import sources
from priorgraph.ingest.gene_resolution import GeneResolver, UnknownGenes
from priorgraph.kg import cypher, ids
from priorgraph.kg.bulk import BulkWriter
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import BatchWriter, Provenance

GAF_COLUMNS = 17
_GO = re.compile(r"^GO:\d{7}$")
_TAG_LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*:(\s|$)")
_NON_GO_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # part_of, regulates: no prefix, no GO
_STANZAS = ("[Term]", "[Typedef]", "[Instance]")
_RELATIONS = ("IS_A", "PART_OF")
logger = logging.getLogger(__name__)


def go_problems(on_error: OnError = "raise") -> Problems:
    """The problem list of a GO ingest: in ``raise`` mode the first problem raises
    :class:`~priorgraph.core.errors.GOFileError` (line 0 means the whole file)."""
    return Problems(on_error, error=GOFileError)


# --------------------------------------------------------------------------------------------
# Ontology


@dataclass
class Term:
    """A GO term as stored on its ``GOTerm`` node."""

    id: str
    name: str
    namespace: str | None
    obsolete: bool
    replaced_by: str | None = None
    consider: list[str] = field(default_factory=list)
    alt_ids: list[str] = field(default_factory=list)


@dataclass
class Ontology:
    """Terms (by primary id) and ``(child, parent)`` edges per relation."""

    path: str
    version: str
    terms: dict[str, Term]
    edges: dict[str, list[tuple[str, str]]]
    non_go: list[str] = field(default_factory=list)  # [Term] ids outside GO, left out

    def parents(self) -> dict[str, set[str]]:
        """term → its direct IS_A and PART_OF parents (for propagation)."""
        out: dict[str, set[str]] = defaultdict(set)
        for pairs in self.edges.values():
            for child, parent in pairs:
                out[child].add(parent)
        return out


def _stanzas(lines: list[str]) -> Iterator[tuple[str, int, list[tuple[int, str]]]]:
    """``(header, header line number, [(line number, line)])``; the file header has header ''."""
    header, start, body = "", 1, []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if text.startswith("[") and text.endswith("]"):
            yield header, start, body
            header, start, body = text, number, []
        elif text and not text.startswith("!"):
            body.append((number, text))
    yield header, start, body


def _check_obo(path: Path, problems: Problems, non_go: list[str]) -> Path | None:
    """Validate OBO syntax line by line; return a cleaned copy's path if anything was skipped.

    A stanza is malformed when it has an unknown type, a line that is not ``tag: value``, or
    (for ``[Term]``) no single valid GO ``id`` or no ``name``; a duplicate id is malformed too.
    ``is_a``/``part_of`` lines must point to a term defined in the file. A ``[Term]`` whose one
    id is a plain name outside GO (``part_of``, ``regulates``: relations that some converters,
    such as R's ontologyIndex, write as terms) is no GO term and no problem: it is left out and
    its id appended to ``non_go``.
    """
    with open_text(path) as handle:
        lines = handle.read().splitlines()
    if not any(line.strip() for line in lines):
        raise GOFileError(path, "empty file", line=0)
    keep = [True] * (len(lines) + 1)
    defined: set[str] = set()
    terms: list[tuple[int, list[tuple[int, str]]]] = []
    for header, start, body in _stanzas(lines):
        bad = [(n, t) for n, t in body if not _TAG_LINE.match(t)]
        error, where = None, start
        if header and header not in _STANZAS:
            error = f"malformed stanza: unknown stanza type {header}"
        elif bad:
            where = bad[0][0]
            error = f"malformed stanza: line is not 'tag: value': {bad[0][1]!r}"
        elif header == "[Term]":
            found = [t.split(":", 1)[1].split("!")[0].strip() for _, t in body if t[:3] == "id:"]
            if len(found) == 1 and _NON_GO_ID.match(found[0]):
                non_go.append(found[0])
                for n in range(start, (body[-1][0] if body else start) + 1):
                    keep[n] = False
            elif len(found) != 1 or not _GO.match(found[0]):
                error = f"malformed stanza: [Term] needs one GO id, found {found}"
            elif found[0] in defined:
                error = f"malformed stanza: duplicate id {found[0]}"
            elif not any(t.startswith("name:") for _, t in body):
                error = f"malformed stanza: term {found[0]} has no name"
            else:
                defined.add(found[0])
                defined.update(
                    t[7:].split("!")[0].strip() for _, t in body if t.startswith("alt_id:")
                )
                terms.append((start, body))
        if error:
            problems.add(path, where, error if header else f"malformed header: {bad[0][1]!r}")
            last = body[-1][0] if body else start
            for n in range(start, last + 1):
                keep[n] = False
    for _, body in terms:
        for number, text in body:
            target = None
            if text.startswith("is_a:"):
                target = text[5:].split("!")[0].strip()
            elif text.startswith("relationship:"):
                parts = text.split("!")[0].split()
                target = parts[2] if len(parts) > 2 else None
            if target is not None and target not in defined and target.startswith("GO:"):
                problems.add(path, number, f"reference to unknown GO id {target}")
                keep[number] = False
    if all(keep[1:]):
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".obo", delete=False) as cleaned:
        cleaned.write("\n".join(line for n, line in enumerate(lines, 1) if keep[n]) + "\n")
    return Path(cleaned.name)


def read_obo(path: str | Path, problems: Problems | None = None) -> Ontology:
    """Parse an OBO file with goatools (obsolete terms kept, ``part_of`` read), after checks."""
    path = Path(path)
    problems = problems or go_problems()
    non_go: list[str] = []
    cleaned = _check_obo(path, problems, non_go)
    try:
        dag = GODag(
            str(cleaned or path),
            optional_attrs={"relationship", "replaced_by", "consider"},
            load_obsolete=True,
            prt=None,
        )
    finally:
        if cleaned is not None:
            cleaned.unlink()
    terms: dict[str, Term] = {}
    edges: dict[str, list[tuple[str, str]]] = {rel: [] for rel in _RELATIONS}
    for key, rec in dag.items():
        if key != rec.item_id:  # an alt_id entry
            continue
        terms[key] = Term(
            id=key,
            name=rec.name,
            namespace=None if rec.namespace == "default" else rec.namespace,
            obsolete=bool(rec.is_obsolete),
            replaced_by=rec.replaced_by.split()[0] if rec.replaced_by else None,
            consider=sorted(rec.consider),
            alt_ids=sorted(rec.alt_ids),
        )
        edges["IS_A"].extend((key, p.item_id) for p in rec.parents)
        edges["PART_OF"].extend((key, p.item_id) for p in rec.relationship.get("part_of", ()))
    version = dag.data_version or sources.sha256sum(path)[:12]
    return Ontology(str(path), version, terms, edges, non_go)


# --------------------------------------------------------------------------------------------
# Annotations


@dataclass(frozen=True)
class Annotation:
    """One gene → GO term line of an annotation file."""

    gene: str
    go_id: str
    line: int
    evidence: str | None = None
    aspect: str | None = None
    qualifier: str | None = None


@dataclass
class Annotations:
    """The annotation lines of one file and how many NOT-qualified lines were excluded."""

    path: str
    kind: str
    rows: list[Annotation]
    not_excluded: int = 0


def _lines(path: Path, problems: Problems) -> Iterator[tuple[int, str]]:
    """Non-empty lines with their numbers; an empty file is a problem."""
    seen = False
    with open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if line.strip():
                seen = True
                yield number, line
    if not seen:
        problems.add(path, 0, "empty file")


def read_gaf(path: str | Path, problems: Problems | None = None) -> Annotations:
    """GAF 2.x: 17 tab-separated columns; symbol (3), qualifier (4), GO id (5), evidence (7),
    aspect (9). Lines whose qualifier contains ``NOT`` are excluded and counted."""
    path, problems = Path(path), problems or go_problems()
    out = Annotations(str(path), "gaf", [])
    for number, line in _lines(path, problems):
        if line.startswith("!"):
            tag, _, value = line[1:].partition(":")
            if tag.strip() == "gaf-version" and not value.strip().startswith("2"):
                problems.add(path, number, f"unsupported GAF version {value.strip()!r}")
            continue
        cols = line.split("\t")
        if len(cols) != GAF_COLUMNS:
            problems.add(path, number, f"expected {GAF_COLUMNS} columns, found {len(cols)}")
            continue
        symbol, qualifier, term, evidence, aspect = cols[2], cols[3], cols[4], cols[6], cols[8]
        if not symbol or not _GO.match(term):
            problems.add(path, number, f"bad gene symbol or GO id: {symbol!r} {term!r}")
            continue
        if "NOT" in qualifier.split("|"):
            out.not_excluded += 1
            continue
        out.rows.append(Annotation(symbol, term, number, evidence, aspect, qualifier or None))
    return out


def read_table(path: str | Path, problems: Problems | None = None) -> Annotations:
    """A two-column ``gene<TAB>go_id`` table; a first line without a GO id is a header."""
    path, problems = Path(path), problems or go_problems()
    out = Annotations(str(path), "table", [])
    for number, line in _lines(path, problems):
        cols = line.split("\t")
        if len(cols) != 2:
            problems.add(path, number, f"expected 2 columns (gene, go_id), found {len(cols)}")
            continue
        gene, term = cols[0].strip(), cols[1].strip()
        if number == 1 and not term.startswith("GO:"):
            continue  # header
        if not gene or not _GO.match(term):
            problems.add(path, number, f"bad gene symbol or GO id: {gene!r} {term!r}")
            continue
        out.rows.append(Annotation(gene, term, number))
    return out


def read_gears_pickle(path: str | Path, problems: Problems | None = None) -> Annotations:
    """GEARS's ``gene2go`` pickle: a dict symbol → set of GO ids. ``line`` is the entry number.

    Read with the restricted unpickler (:func:`~priorgraph.core.datafiles.load_pickle`): a
    pickle that is not plain data, or not a pickle, is a :class:`GOFileError` whatever
    ``on_error`` says (there is no line to skip)."""
    path, problems = Path(path), problems or go_problems()
    out = Annotations(str(path), "gears-pickle", [])
    if path.stat().st_size == 0:
        problems.add(path, 0, "empty file")
        return out
    with open(path, "rb") as handle:
        data = load_pickle(handle, path=path, error=GOFileError)
    if not isinstance(data, Mapping):
        problems.add(path, 0, f"expected a dict gene -> GO ids, found {type(data).__name__}")
        return out
    if not data:
        problems.add(path, 0, "empty file (no genes)")
    for number, (gene, terms) in enumerate(data.items(), 1):
        if isinstance(terms, str):
            terms = [terms]
        for term in sorted(terms):
            if not isinstance(gene, str) or not gene or not _GO.match(str(term)):
                problems.add(path, number, f"bad gene symbol or GO id: {gene!r} {term!r}")
                continue
            out.rows.append(Annotation(gene, term, number))
    return out


READERS = {"gaf": read_gaf, "table": read_table, "gears-pickle": read_gears_pickle}


# --------------------------------------------------------------------------------------------
# Term resolution, propagation, report


@dataclass
class TermIndex:
    """What annotation checks need to know about terms: obsolete flags, replacements, alt ids."""

    obsolete: dict[str, bool]
    replaced_by: dict[str, str | None]
    consider: dict[str, list[str]]
    alt_ids: dict[str, str]

    @classmethod
    def from_ontology(cls, ontology: Ontology) -> TermIndex:
        terms = ontology.terms.values()
        return cls(
            {t.id: t.obsolete for t in terms},
            {t.id: t.replaced_by for t in terms},
            {t.id: t.consider for t in terms},
            {alt: t.id for t in terms for alt in t.alt_ids},
        )

    @classmethod
    def from_graph(cls, graph: Graph) -> TermIndex:
        rows = cypher.run(graph, "go_term_index")
        return cls(
            {r["id"]: bool(r["obsolete"]) for r in rows},
            {r["id"]: r["replaced_by"] for r in rows},
            {r["id"]: r["consider"] or [] for r in rows},
            {alt: r["id"] for r in rows for alt in r["alt_ids"] or []},
        )


@dataclass
class GOIngestReport:
    """What an ingest read, changed and left out."""

    files: list[str] = field(default_factory=list)
    terms: int = 0
    non_go_terms: list[str] = field(default_factory=list)
    edges: dict[str, int] = field(default_factory=dict)
    annotation_lines: int = 0
    annotations: int = 0
    genes: int = 0
    not_excluded: int = 0
    inferred: int = 0
    remapped: list[dict[str, Any]] = field(default_factory=list)
    gene_names: dict[str, Any] = field(default_factory=dict)  # GeneNames.as_dict()
    problems: list[Problem] = field(default_factory=list)
    writes: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["problems"] = [str(p) for p in self.problems]
        return out


def resolve(
    annotations: Annotations, index: TermIndex, problems: Problems, report: GOIngestReport
) -> list[Annotation]:
    """Map each annotation to a current term: alt ids and ``replaced_by`` are applied (listed in
    ``report.remapped``); unknown terms and obsolete terms without replacement are problems."""
    out = []
    for a in annotations.rows:
        term, via = a.go_id, None
        if term in index.alt_ids:
            term, via = index.alt_ids[term], "alt_id"
        elif term not in index.obsolete:
            problems.add(annotations.path, a.line, f"unknown GO id {term} (gene {a.gene})")
            continue
        if index.obsolete.get(term):
            replacement = index.replaced_by.get(term)
            if replacement is None or replacement not in index.obsolete:
                consider = ", ".join(index.consider.get(term, [])) or "none"
                problems.add(
                    annotations.path,
                    a.line,
                    f"annotation of {a.gene} to obsolete term {term} without replaced_by "
                    f"(consider: {consider})",
                )
                continue
            term, via = replacement, "replaced_by"
        if via is not None:
            report.remapped.append(
                {"file": annotations.path, "line": a.line, "gene": a.gene,
                 "from": a.go_id, "to": term, "via": via}
            )  # fmt: skip
        out.append(Annotation(a.gene, term, a.line, a.evidence, a.aspect, a.qualifier))
    return out


def resolve_gene_names(
    annotations: list[Annotation],
    resolver: GeneResolver,
    unknown_genes: UnknownGenes,
    path: str | Path,
    report: GOIngestReport,
) -> list[Annotation]:
    """Annotations with each gene name resolved to its approved symbol (previous symbols,
    aliases, Ensembl ids); unknown or ambiguous names are an error naming the first line, or
    (``unknown_genes="warn"``) their annotations are left out. Both are listed in the report."""
    names = resolver.names((a.gene for a in annotations), what=str(path))
    lines: dict[str, int] = {}
    for a in annotations:
        lines.setdefault(a.gene, a.line)
    names.check(unknown_genes, path=path, error=GOFileError, lines=lines,
                then="their annotations left out")  # fmt: skip
    report.gene_names = names.as_dict()
    return [replace(a, gene=symbol) for a in annotations if (symbol := names.symbol(a.gene))]


def ancestors(parents: Mapping[str, set[str]]) -> Any:
    """A memoised ``term → all ancestors`` function over the ``parents`` map (true-path rule)."""
    memo: dict[str, frozenset[str]] = {}

    def up(term: str) -> frozenset[str]:
        if term not in memo:
            memo[term] = frozenset()  # guards against cycles in a broken ontology
            found: set[str] = set()
            for parent in parents.get(term, ()):
                found.add(parent)
                found |= up(parent)
            memo[term] = frozenset(found)
        return memo[term]

    return up


def annotation_rows(
    annotations: Iterable[Annotation],
    species: str,
    source: str,
    parents: Mapping[str, set[str]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Gene rows and ``ANNOTATED_WITH`` rows (one per gene and term; propagated ancestors added
    with ``inferred = true`` when ``parents`` is given).

    ``evidence`` and ``qualifier`` are sorted lists, absent (None) where there is none: an
    inferred annotation has no evidence of its own, and an absent property costs nothing
    (Neo4j's batch importer cannot even store an empty list, neo4j/neo4j#13566)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for a in annotations:
        row = merged.setdefault(
            (a.gene, a.go_id),
            {"evidence": set(), "qualifier": set(), "aspect": a.aspect},
        )
        if a.evidence:
            row["evidence"].add(a.evidence)
        if a.qualifier:
            row["qualifier"].add(a.qualifier)
    direct: dict[str, set[str]] = defaultdict(set)
    for gene, term in merged:
        direct[gene].add(term)
    rows = [
        {"start": ids.gene_id(gene, species), "end": term, "source": source,
         "evidence": sorted(v["evidence"]) or None, "qualifier": sorted(v["qualifier"]) or None,
         "aspect": v["aspect"], "inferred": False}
        for (gene, term), v in merged.items()
    ]  # fmt: skip
    if parents is not None:
        up = ancestors(parents)
        for gene, terms in direct.items():
            implied = set().union(*(up(t) for t in terms)) - terms
            rows.extend(
                {"start": ids.gene_id(gene, species), "end": term, "source": source,
                 "evidence": None, "qualifier": None, "aspect": None, "inferred": True}
                for term in sorted(implied)
            )  # fmt: skip
    genes = [{"id": ids.gene_id(g, species), "symbol": g, "species": species} for g in direct]
    return genes, rows


def term_rows(ontology: Ontology) -> list[dict[str, Any]]:
    return [asdict(t) for t in ontology.terms.values()]


def ingest_go(
    graph: Graph | None,
    *,
    obo: str | Path | None = None,
    annotations: str | Path | None = None,
    kind: str = "gaf",
    source: str | None = None,
    version: str | None = None,
    ontology_source: str = "go.obo",
    species: str = ids.DEFAULT_SPECIES,
    propagate: bool = False,
    on_error: OnError = "raise",
    genes: GeneResolver | None = None,
    unknown_genes: UnknownGenes = "warn",
    progress: bool = True,
    writer: BatchWriter | BulkWriter | None = None,
) -> GOIngestReport:
    """Read and check an ontology and/or an annotation file, then write them in one transaction.

    Annotations are checked against the ontology given here, or else the ``GOTerm`` nodes
    already in the graph. With ``genes``, gene names are resolved to approved symbols
    (:func:`resolve_gene_names`; ``unknown_genes`` says what an unknown name does).
    ``source``/``version`` name the annotation source (defaults: ``go.<kind>`` and the file's
    sha256 prefix). Idempotent: a second run changes nothing. ``writer``: where the rows go
    instead of ``graph`` (a :class:`~priorgraph.kg.bulk.BulkWriter` of ``priorgraph build``;
    its provenance is set here).
    """
    if obo is None and annotations is None:
        raise UsageError("nothing to ingest: give an OBO file and/or an annotation file")
    if kind not in READERS:
        raise UsageError(f"unknown annotation format {kind!r}; choose one of {sorted(READERS)}")
    problems = go_problems(on_error)
    report = GOIngestReport()
    ontology = None
    if obo is not None:
        with progress_step(f"GO ontology: parsing {Path(obo).name}", enabled=progress):
            ontology = read_obo(obo, problems)
    if ontology is not None:
        report.files.append(ontology.path)
        report.terms = len(ontology.terms)
        report.non_go_terms = ontology.non_go
        report.edges = {rel: len(pairs) for rel, pairs in ontology.edges.items()}
    gene_rows: list[dict[str, Any]] = []
    ann_rows: list[dict[str, Any]] = []
    if annotations is not None:
        path = Path(annotations)
        with progress_step(f"GO annotations: reading {path.name}", enabled=progress):
            parsed = READERS[kind](path, problems)
        report.files.append(str(path))
        report.annotation_lines = len(parsed.rows)
        report.not_excluded = parsed.not_excluded
        index = TermIndex.from_ontology(ontology) if ontology else TermIndex.from_graph(graph)
        if not index.obsolete:
            raise UsageError("no GO terms to check annotations against: load an OBO file first")
        source = source or f"go.{kind}"
        version = version or sources.sha256sum(path)[:12]
        what = "checking terms" + (", propagating to ancestors" if propagate else "")
        with progress_step(f"GO annotations: {what}", enabled=progress):
            kept = resolve(parsed, index, problems, report)
            if genes is not None:
                kept = resolve_gene_names(kept, genes, unknown_genes, path, report)
            parents = None
            if propagate:
                parents = ontology.parents() if ontology else _graph_parents(graph)
            gene_rows, ann_rows = annotation_rows(kept, species, source, parents)
        report.genes = len(gene_rows)
        report.annotations = sum(not r["inferred"] for r in ann_rows)
        report.inferred = len(ann_rows) - report.annotations
    report.problems = problems.items
    if report.problems:
        logger.info(
            "GO ingest: %d problem(s) skipped, first: %s", len(report.problems), report.problems[0]
        )

    if writer is None:
        writer = BatchWriter(graph, Provenance(ontology_source, "unknown"), progress=progress)
    writer.provenance = Provenance(ontology_source, "unknown")
    term = ("GOTerm", "id")
    with writer.transaction():
        if ontology is not None:
            writer.provenance = Provenance(ontology_source, ontology.version)
            report.writes["GOTerm"] = writer.merge_nodes(
                "GOTerm", term_rows(ontology), total=report.terms
            ).as_dict()
            for rel, pairs in ontology.edges.items():
                rows = [{"start": c, "end": p} for c, p in pairs]
                counts = writer.merge_relationships(rel, rows, start=term, end=term)
                report.writes[rel] = counts.as_dict()
            writer.record_source(kind="go-ontology", file=ontology.path, terms=report.terms)
        if annotations is not None:
            writer.provenance = Provenance(source, version)
            report.writes["Gene"] = writer.merge_nodes("Gene", gene_rows).as_dict()
            counts = writer.merge_relationships(
                "ANNOTATED_WITH", ann_rows, start=("Gene", "id"), end=term,
                keys=("source",), total=len(ann_rows),
            )  # fmt: skip
            report.writes["ANNOTATED_WITH"] = counts.as_dict()
            writer.record_source(
                kind=f"go-annotations-{kind}", file=str(annotations), genes=report.genes,
                annotations=report.annotations, inferred=report.inferred,
                not_excluded=report.not_excluded, remapped=len(report.remapped),
                problems=len(report.problems),
            )  # fmt: skip
    logger.info(
        "GO ingest: %d terms, %d genes, %d annotations (+%d inferred)",
        report.terms, report.genes, report.annotations, report.inferred,
    )  # fmt: skip
    return report


def _graph_parents(graph: Graph) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for row in cypher.run(graph, "go_term_parents"):
        out[row["child"]].add(row["parent"])
    return out


def ingest_panel(
    graph: Graph,
    genes: Iterable[str],
    *,
    table: str = "go.gene2go.human.2024",
    obo: str = "go.basic.2024.isa_only",
    species: str = ids.DEFAULT_SPECIES,
    progress: bool = False,
) -> GOIngestReport:
    """The ontology and the annotations of a gene panel, from registered sources (mirror or
    download) through :func:`ingest_go`: the real GO prior of the demo and the benchmarks.
    Problems in the files are skipped and listed in the report."""
    wanted = set(genes)
    with tempfile.TemporaryDirectory(prefix="priorgraph-go-panel-") as tmp:
        panel = Path(tmp) / "panel.tsv"
        with open_text(sources.fetch(table)) as rows, open(panel, "w") as out:
            out.writelines(line for line in rows if line.split("\t", 1)[0] in wanted)
        return ingest_go(
            graph, obo=sources.fetch(obo), annotations=panel, kind="table",
            source="go.gene2go.human", version=sources.get(table).version, species=species,
            on_error="skip", progress=progress,
        )  # fmt: skip
