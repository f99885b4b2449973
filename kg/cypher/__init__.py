"""The Cypher store: every query priorgraph runs, one ``NAME.cypher`` file beside this module.

A query is referred to by its file name without extension: ``load("graph_labels")``. Each file
starts with a header of ``//`` lines:

* the first says in one line what the query answers or does (``priorgraph query`` lists it);
* further lines give details (parameters, ordering, how callers use it);
* ``// mode: write`` marks a statement that writes (loads, deletes, index DDL); ``// mode:
  admin`` an administrative command priorgraph itself runs (``SHOW TRANSACTIONS``), which the
  read path refuses and so runs in a write session; queries without a mode line are reads.

User values are always ``$parameters``; :attr:`NamedQuery.parameters` lists them, parsed from
the text outside comments and string literals. :func:`run` runs a read in a read-access session
(the server refuses any write in it) and a write in a retried write transaction; code that
writes inside a larger transaction takes the text from :func:`load`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Literal

from priorgraph.core.errors import UsageError

if TYPE_CHECKING:
    from priorgraph.kg.connection import Graph

Mode = Literal["read", "write", "admin"]
MODES: tuple[Mode, ...] = ("read", "write", "admin")
_MODE_LINE = re.compile(r"^//\s*mode:\s*(\S+)\s*$")
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class NamedQuery:
    """One ``.cypher`` file: its text and what its header and body declare."""

    name: str
    text: str
    description: str
    mode: Mode
    parameters: tuple[str, ...]

    def check_parameters(self, given: Iterable[str]) -> None:
        """Raise a :class:`~priorgraph.core.errors.UsageError` naming the parameters of this
        query that ``given`` lacks, or names it does not know (a typo would be ignored)."""
        given = set(given)
        missing = [p for p in self.parameters if p not in given]
        unknown = sorted(given - set(self.parameters))
        if missing or unknown:
            problems = [f"missing {', '.join(missing)}"] if missing else []
            problems += [f"unknown {', '.join(unknown)}"] if unknown else []
            takes = ", ".join(self.parameters) or "none"
            raise UsageError(
                f"{self.name}: {'; '.join(problems)} (its parameters: {takes}; null is allowed)"
            )

    def run(self, graph: Graph, **parameters: Any) -> list[dict[str, Any]]:
        """Run with ``parameters``: a read in a read-access session, a write (or an
        administrative command) in a retried write transaction. Returns the rows as dicts."""
        if self.mode in ("write", "admin"):
            return graph.write(self.text, parameters)
        return graph.read(self.text, parameters)


def code(text: str) -> str:
    """``text`` with comments, string literals and backquoted names blanked out."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        two = text[i : i + 2]
        if two == "//":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif two == "/*":
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
        elif text[i] in "'\"`":
            quote, i = text[i], i + 1
            while i < n and text[i] != quote:
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append("''")
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parameters(text: str) -> tuple[str, ...]:
    """The ``$parameters`` of a query, sorted, outside comments and strings (``$(x)``, a
    dynamic label of a variable, is not one)."""
    return tuple(sorted(set(_PARAMETER.findall(code(text)))))


def parse(name: str, text: str) -> NamedQuery:
    """A :class:`NamedQuery` from a file's name and text; the header rules in the module doc."""
    header = []
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        header.append(line)
    if not header or not header[0].startswith("// ") or _MODE_LINE.match(header[0]):
        raise ValueError(f"{name}.cypher: the first line must be '// <what the query does>'")
    modes = [m.group(1) for line in header if (m := _MODE_LINE.match(line))]
    if len(modes) > 1 or (modes and modes[0] not in MODES):
        raise ValueError(
            f"{name}.cypher: one '// mode: read|write|admin' line at most, got {modes}"
        )
    mode: Mode = modes[0] if modes else "read"  # type: ignore[assignment]
    return NamedQuery(name, text, header[0][3:].strip(), mode, parameters(text))


def names(*, mode: Mode | None = None) -> list[str]:
    """The named queries shipped with priorgraph (only those of ``mode`` when given)."""
    found = sorted(
        p.name.removesuffix(".cypher")
        for p in files(__name__).iterdir()
        if p.name.endswith(".cypher")
    )
    return found if mode is None else [n for n in found if get(n).mode == mode]


@cache
def get(name: str) -> NamedQuery:
    """The named query ``name``; a :class:`~priorgraph.core.errors.UsageError` naming the
    known ones for an unknown name."""
    resource = files(__name__) / f"{name}.cypher"
    if not resource.is_file():
        raise UsageError(f"no named query {name!r}; known: {', '.join(names())}")
    return parse(name, resource.read_text())


def load(name: str) -> str:
    """The text of the named query."""
    return get(name).text


def run(graph: Graph, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run the named query with parameters in the access mode its header declares."""
    return get(name).run(graph, **params)
