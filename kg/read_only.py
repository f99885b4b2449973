"""The read-only check: Cypher run as a read does nothing but read the graph.

A read-access session already makes the server refuse writes, but not everything else a read
session accepts: ``LOAD CSV`` (files, URLs), ``TERMINATE TRANSACTIONS``, ``SHOW TRANSACTIONS``
or ``SHOW SETTINGS``, DBMS procedures (``dbms.listConfig``, ``db.clearQueryCaches``). So every
read (:meth:`priorgraph.kg.connection.Graph.read`: ``priorgraph cypher`` without ``--write``,
``priorgraph query``, the named read queries, the Python API) is first planned with ``EXPLAIN``,
which executes nothing, and the server's own answer decides:

* the query type must be ``r`` (read only): ``w``/``rw`` are writes, ``s`` covers schema
  changes, administration commands (users, roles, databases, which Community plans as
  ``AdministrationCommand``) and DBMS-mode procedures;
* no operator of the plan may load CSV (``LoadCSV``), run a transaction or settings command
  (``TerminateTransactions``, ``ShowTransactions``, ``ShowSettings``, any ``Show…`` outside
  :data:`ALLOWED_SHOW`), or call a plugin procedure that reads files or URLs or runs other
  Cypher (:data:`REFUSED_PROCEDURES`; APOC is not on the local server, but may be on another);
* the plan must run on the session's database (no ``USE`` of another one).

What EXPLAIN cannot plan on Community (``SHOW ROLES``, ``START DATABASE``) is refused as an
administrative command too.

What stays allowed: every ``MATCH``/``RETURN`` query, read procedures (``db.labels``,
``db.index.vector.queryNodes``, ``db.schema.visualization``) and the catalogue commands
``SHOW INDEXES``, ``SHOW CONSTRAINTS``, ``SHOW PROCEDURES`` and ``SHOW FUNCTIONS``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from neo4j import Session
from neo4j.exceptions import ClientError

from priorgraph.core.errors import ReadOnlyQueryError, UsageError

ALLOWED_SHOW = frozenset({"ShowIndexes", "ShowConstraints", "ShowProcedures", "ShowFunctions"})
ADMIN_OPERATORS = frozenset({"AdministrationCommand"})
WRITE_OPERATORS = ("Create", "Merge", "Set", "Delete", "DetachDelete", "Remove", "Foreach")
REFUSED_PROCEDURES = re.compile(
    r"\bapoc\.(?:load|import|export|cypher|periodic|systemdb|trigger|custom|util\.sleep)\b",
    re.IGNORECASE,
)
# Refusals that come as errors of EXPLAIN itself (commands Community cannot even plan here).
ADMIN_ERRORS = (
    "Neo.ClientError.Statement.UnsupportedAdministrationCommand",
    "Neo.ClientError.Statement.NotSystemDatabaseError",
)
SYNTAX_ERROR = "Neo.ClientError.Statement.SyntaxError"
_POSITION = re.compile(r"\(line (\d+), column (\d+) \(offset: (\d+)\)\)")
_PROFILE = re.compile(r"^(\s*(?://[^\n]*\n\s*|/\*.*?\*/\s*)*)PROFILE\b", re.IGNORECASE | re.DOTALL)
EXPLAIN = "EXPLAIN "
WRITE_HINT = (
    "this run is read-only: pass --write to change the graph (in Python: "
    "pg.cypher(..., write=True), or Graph.write)"
)
ADMIN_HINT = "priorgraph does not run those: use cypher-shell or Neo4j Browser as an administrator"


def operators(plan: Mapping[str, Any] | None) -> Iterator[tuple[str, str, str]]:
    """``(operator, database, details)`` of every operator of an EXPLAIN plan, depth first.

    The driver gives the plan as nested dicts; an operator type reads ``Name@database``."""
    if not plan:
        return
    name, _, database = str(plan.get("operatorType", "")).partition("@")
    arguments = plan.get("args") or plan.get("arguments") or {}
    yield name, database, str(arguments.get("Details") or "")
    for child in plan.get("children") or ():
        yield from operators(child)


def refusal(
    query_type: str | None, plan: Mapping[str, Any] | None, *, database: str
) -> ReadOnlyQueryError | None:
    """Why a query that EXPLAIN planned as ``query_type``/``plan`` may not run read-only on
    ``database``, or None when it only reads that graph."""
    ops = [op for op in operators(plan) if op[0] not in ("ProduceResults", "EmptyResult")]
    names = [name for name, _, _ in ops]
    admin = [n for n in names if n in ADMIN_OPERATORS or n.startswith("Terminate")
             or (n.startswith("Show") and n not in ALLOWED_SHOW)]  # fmt: skip
    if admin:
        what = "the query" if admin[0] in ADMIN_OPERATORS else _spaced(admin[0])
        return ReadOnlyQueryError(f"refused: {what} is an administrative command; {ADMIN_HINT}",
                                  reason="admin")  # fmt: skip
    if "LoadCSV" in names:
        return ReadOnlyQueryError(
            "refused: LOAD CSV reads files or URLs outside the graph; load data with "
            "`priorgraph ingest …`",
            reason="load_csv",
        )
    for _, _, details in ops:
        if found := REFUSED_PROCEDURES.search(details):
            return ReadOnlyQueryError(
                f"refused: {found.group(0)} reads files or URLs or runs other Cypher; "
                "priorgraph's reads stay inside the graph",
                reason="procedure",
            )
    if other := sorted({db for _, db, _ in ops if db and db != database}):
        return ReadOnlyQueryError(
            f"refused: the query runs on database {other[0]!r}, not {database!r}; {ADMIN_HINT}",
            reason="admin",
        )
    procedures = [details.split("(")[0] for name, _, details in ops if name == "ProcedureCall"]
    if query_type == "r":
        return None
    if query_type == "s" and procedures:
        return ReadOnlyQueryError(
            f"refused: {procedures[0]} is a DBMS procedure; {ADMIN_HINT}", reason="admin"
        )
    if query_type == "s":
        what = f" ({_spaced(names[0])})" if names else ""
        return ReadOnlyQueryError(
            f"refused: the query changes the schema{what}; {WRITE_HINT}", reason="schema"
        )
    writes = [*procedures, *(_spaced(n) for n in names if n.startswith(WRITE_OPERATORS))]
    what = f" ({writes[0]})" if writes else ""
    return ReadOnlyQueryError(f"refused: the query writes{what}; {WRITE_HINT}", reason="write")


def check(session: Session, query: str, parameters: Mapping[str, Any], *, database: str) -> None:
    """Raise :class:`~priorgraph.core.errors.ReadOnlyQueryError` unless ``query`` only reads.

    Plans ``query`` with ``EXPLAIN`` in ``session`` (nothing runs; with ``parameters`` the
    plan is cached, so running the query next costs no second planning) and applies
    :func:`refusal`. A leading ``PROFILE`` is checked as the query it profiles. A syntax error
    is a :class:`~priorgraph.core.errors.UsageError` with the server's message about the
    user's own text (:func:`unprefixed`); other client errors are raised as they are.
    """
    text = _PROFILE.sub(r"\1", query, count=1)
    try:
        summary = session.run(EXPLAIN + text, dict(parameters)).consume()
    except ClientError as err:
        message = err.message or ""
        if err.code in ADMIN_ERRORS or "Administration Commands" in message:
            raise ReadOnlyQueryError(
                f"refused: the query is an administrative command; {ADMIN_HINT}", reason="admin"
            ) from err
        if err.code == SYNTAX_ERROR:
            raise UsageError(f"{err.code}: {unprefixed(message)}") from err
        raise
    problem = refusal(summary.query_type, summary.plan, database=database)
    if problem is None and summary.database not in (None, database):
        problem = refusal(None, {"operatorType": f"Use@{summary.database}"}, database=database)
    if problem is not None:
        raise problem


def unprefixed(message: str) -> str:
    """The server's syntax error about ``EXPLAIN <query>`` as one about the query: positions
    (``line 1, column 18 (offset: 17)``) and the quoted line with its caret shifted back."""
    shift = len(EXPLAIN)

    def position(match: re.Match[str]) -> str:
        line, column, offset = (int(g) for g in match.groups())
        column -= shift if line == 1 else 0
        return f"(line {line}, column {column} (offset: {offset - shift}))"

    lines = _POSITION.sub(position, message).split("\n")
    for i, line in enumerate(lines):
        if line.startswith('"' + EXPLAIN):
            lines[i] = '"' + line[1 + shift :]
            if i + 1 < len(lines) and lines[i + 1].strip() == "^":
                lines[i + 1] = lines[i + 1][shift:]
    return "\n".join(lines)


def _spaced(operator: str) -> str:
    """``TerminateTransactions`` → ``TERMINATE TRANSACTIONS`` (how the user wrote it)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", operator).upper()
