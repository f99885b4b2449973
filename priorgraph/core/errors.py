"""Every error priorgraph raises on purpose, and the problem lists that input errors carry.

The CLI reports a :class:`PriorgraphError` as one message and exit code 1; any other exception
is a bug and shows its traceback. The hierarchy::

    PriorgraphError
    ├── UsageError              a value the user gave does not fit (unknown name, bad option,
    │   ├── MissingFeaturesError    something asked for that the graph or the store lacks)
    │   └── ReadOnlyQueryError      Cypher run read-only would write, administer or load files
    ├── SourceError             a registered source cannot be found, downloaded or verified
    ├── ServerError             the local Neo4j cannot be provisioned, started or stopped
    ├── GraphConnectionError    Neo4j cannot be reached or refuses the credentials
    ├── EmbeddingServiceError   the embedding service failed for good (retries spent)
    └── InputError              a file is wrong: ``path``, ``line`` (optional) and ``problem``
        ├── GOFileError             GO ontology (OBO) and annotation files (GAF, table, pickle)
        ├── PeakFileError           ATAC peak BED / narrowPeak files
        ├── GeneFileError           gene BED / Ensembl table / GTF, TSS BED, ortholog tables
        ├── GeneListError           gene lists and gene-id files
        ├── LinkFileError           external peak–gene link tables
        ├── ChainFileError          UCSC liftOver chains (and peaks that do not fit them)
        ├── GuidanceGraphError      GLUE guidance graphs (GraphML or in memory)
        ├── EmbeddingFileError      gene embedding files (pickle, CSV/TSV, NPZ, reference table)
        ├── SummaryFileError        gene summaries to embed (JSON, Ensembl table)
        ├── PerturbSeqError         Perturb-seq h5ad and the files of an ingested data set
        ├── SplitFileError          saved splits
        ├── FeatureFileError        gene-feature tables of the linear baseline
        ├── ExportFileError         saved exports
        └── PredictionFileError     a model run's prediction matrix (zarr + manifest)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

OnError = Literal["raise", "skip"]
MAX_LISTED = 20  # problems listed in an error message; the rest are counted


class PriorgraphError(Exception):
    """Base of every error priorgraph raises on purpose; the message says what to do."""


class UsageError(PriorgraphError):
    """A value given by the user does not fit: an unknown name, an option out of range, or
    something asked for that the graph or the data-set store does not hold."""


class MissingFeaturesError(UsageError):
    """Some requested genes have no embedding and no fill was asked for."""


class ReadOnlyQueryError(UsageError):
    """Cypher run read-only would do more than read the graph; ``reason`` says what: ``write``
    (data), ``schema`` (indexes, constraints), ``admin`` (users, transactions, settings, DBMS
    procedures), ``load_csv`` (files or URLs) or ``procedure`` (a plugin's that reaches out)."""

    def __init__(self, message: str, *, reason: str):
        self.reason = reason
        super().__init__(message)


class SourceError(PriorgraphError):
    """A source could not be found, downloaded or verified; the message says which and why."""


class ServerError(PriorgraphError):
    """The local server could not be provisioned, started or stopped; the message says why."""


class GraphConnectionError(PriorgraphError):
    """Neo4j could not be reached or refused the credentials; the message says what to do."""


class EmbeddingServiceError(PriorgraphError):
    """The embedding service failed for good (retries spent, or a non-retryable error)."""


def location(path: str | Path, line: int | str | None = None) -> str:
    """``path:line``, or ``path`` when there is no line."""
    return f"{path}" if line is None else f"{path}:{line}"


@dataclass(frozen=True)
class Problem:
    """One bad input item: ``path:line (subject): problem``.

    ``line`` is a line number, another position (``entry 3``, ``row 7``) or None for the whole
    file; ``subject`` names the item when that helps (a gene symbol).
    """

    path: str
    line: int | str | None
    problem: str
    subject: str | None = None

    @property
    def location(self) -> str:
        return location(self.path, self.line)

    def __str__(self) -> str:
        subject = f" ({self.subject})" if self.subject is not None else ""
        return f"{self.location}{subject}: {self.problem}"


class InputError(PriorgraphError):
    """A file is wrong: its ``path``, the ``line`` (when one) and the ``problem``.

    ``str`` is one line, ``path:line: problem``; an error that collects several problems
    (``problems``: :class:`Problem` s, or plain lines) lists them below it, one indented line
    each (at most :data:`MAX_LISTED`).
    """

    def __init__(
        self,
        path: str | Path,
        problem: str,
        *,
        line: int | str | None = None,
        problems: Sequence[Problem | str] = (),
    ):
        self.path = str(path)
        self.line = line
        self.problem = problem
        self.problems = list(problems)
        super().__init__(self.path, problem)

    def __str__(self) -> str:
        head = f"{location(self.path, self.line)}: {self.problem}"
        shown = "".join(f"\n  {p}" for p in self.problems[:MAX_LISTED])
        extra = len(self.problems) - MAX_LISTED
        return head + shown + (f"\n  … and {extra:,} more" if extra > 0 else "")


class GOFileError(InputError):
    """A GO ontology (OBO) or annotation file (GAF, table, GEARS pickle) is wrong."""


class PeakFileError(InputError):
    """An ATAC peak file (BED, narrowPeak) is wrong."""


class GeneFileError(InputError):
    """A gene annotation file (BED, Ensembl table, GTF, TSS BED, orthologs) is wrong."""


class GeneListError(InputError):
    """A gene list or gene-id file is wrong."""


class LinkFileError(InputError):
    """An external peak–gene link table is wrong."""


class ChainFileError(InputError):
    """A UCSC liftOver chain is unreadable, or does not fit the peaks lifted through it."""


class GuidanceGraphError(InputError):
    """A guidance graph breaks GLUE's rules; ``problems`` lists every violation."""


class EmbeddingFileError(InputError):
    """A gene embedding file is wrong; ``problems`` lists every bad entry."""


class SummaryFileError(InputError):
    """A file of gene summaries to embed is wrong."""


class PerturbSeqError(InputError):
    """A Perturb-seq h5ad, or a file of an ingested data set, is wrong or missing."""


class SplitFileError(InputError):
    """A saved split is missing or clashes with another split of its name."""


class FeatureFileError(InputError):
    """A gene-feature table (of the linear baseline) is wrong."""


class ExportFileError(InputError):
    """A saved export is wrong (its content does not match its hash)."""


class PredictionFileError(InputError):
    """A run's prediction matrix is missing or changed (a file does not match its hash)."""


class PlanFileError(InputError):
    """A build plan (``priorgraph build PLAN``) cannot be read or names something unknown."""


class Problems:
    """Collects the problems of an input; in ``raise`` mode the first one raises ``error``."""

    def __init__(self, on_error: OnError = "raise", *, error: type[InputError] = InputError):
        if on_error not in ("raise", "skip"):
            raise UsageError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
        self.on_error = on_error
        self.error = error
        self.items: list[Problem] = []

    def add(self, path: str | Path, line: int | str | None, problem: str) -> None:
        if self.on_error == "raise":
            raise self.error(path, problem, line=line)
        self.items.append(Problem(str(path), line, problem))
