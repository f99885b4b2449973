"""The ``priorgraph …`` commands of README.md and docs/*.md, and a check that the CLI takes them.

:func:`doc_commands` reads every fenced ``bash`` block, joins ``\\``-continued lines and keeps the
lines that run ``priorgraph`` (after optional ``VAR=value`` prefixes; ``a && b`` gives both).
Each line's words are what bash makes of it (:func:`bash_argv`: a ``priorgraph`` shell function
prints its arguments, ``set -u``), so quoting, ``\\$`` and ``$(cat …)`` are taken as a user's
shell takes them, and an unset ``$variable`` in a command is an error.

:func:`check_argv` parses the words with the real click command tree and raises a
``click.UsageError`` where a command, sub-command, option, argument or choice does not exist or
a required one is missing. Nothing runs: file arguments are not opened (``click.Path`` values are
not checked) and no callback is called.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```(\w*)\s*$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_ARG, _END = "\x1f", "\x1e"
_NO_DEFAULT = (None, getattr(click.core, "UNSET", None))  # click >= 8.3 marks "no default" UNSET


@dataclass(frozen=True)
class DocLine:
    """One logical shell line of a document's ``bash`` block (continuations joined)."""

    doc: str  # path relative to the repository root
    line: int  # 1-based line of the document where the command starts
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def fenced(path: Path, language: str) -> list[tuple[int, list[str]]]:
    """The fenced ``language`` blocks of a markdown file: (first line number, lines)."""
    blocks: list[tuple[int, list[str]]] = []
    inside = False
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        fence = _FENCE.match(raw)
        if fence and not inside:
            inside = fence.group(1) == language
            if inside:
                blocks.append((number + 1, []))
        elif fence:
            inside = False
        elif inside:
            blocks[-1][1].append(raw)
    return blocks


def bash_lines(path: Path) -> list[list[DocLine]]:
    """The logical lines of each ``bash`` block of ``path``, block by block."""
    doc = str(path.relative_to(ROOT))
    blocks: list[list[DocLine]] = []
    for first, raw_lines in fenced(path, "bash"):
        block: list[DocLine] = []
        pending: tuple[int, str] | None = None
        for number, raw in enumerate(raw_lines, start=first):
            start, text = pending if pending else (number, "")
            text += raw.rstrip()
            if text.endswith("\\"):
                pending = (start, text[:-1] + " ")
                continue
            pending = None
            if text.strip():
                block.append(DocLine(doc, start, text.strip()))
        blocks.append(block)
    return blocks


def runs_priorgraph(line: DocLine) -> bool:
    """Whether the line starts (after ``VAR=value`` words) with the ``priorgraph`` command."""
    words = shlex.split(line.text, comments=True)
    while words and _ASSIGNMENT.match(words[0]):
        words.pop(0)
    return bool(words) and words[0] == "priorgraph"


def doc_commands(paths: list[Path] = DOCS) -> list[DocLine]:
    """Every line of every ``bash`` block of ``paths`` that runs ``priorgraph``."""
    return [
        line
        for path in paths
        for block in bash_lines(path)
        for line in block
        if runs_priorgraph(line)
    ]


def bash_argv(line: DocLine, *, cwd: Path = ROOT) -> list[list[str]]:
    """The argument lists bash passes to ``priorgraph`` for the line (one per call)."""
    script = f"set -u\npriorgraph() {{ printf '%s{_ARG}' \"$@\"; printf '{_END}'; }}\n{line.text}\n"
    done = subprocess.run(
        ["bash", "-c", script], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"{line.where}: bash cannot run `{line.text}`: {done.stderr.strip()}")
    return [call.split(_ARG)[:-1] for call in done.stdout.split(_END)[:-1]]


def check_argv(argv: list[str]) -> click.Command:
    """Parse ``argv`` (the words after ``priorgraph``) with the CLI; the command it reaches.

    Raises ``click.UsageError`` for an unknown command or option, a missing option value or
    required parameter, an extra argument or a value of the wrong type or choice.
    """
    from priorgraph.cli import main

    command: click.Command = main
    ctx: click.Context | None = None
    args, name = list(argv), "priorgraph"
    while True:
        ctx = click.Context(command, info_name=name, parent=ctx)
        opts, args, _ = command.make_parser(ctx).parse_args(args=args)
        _check_values(command, ctx, opts)
        if not isinstance(command, click.Group):
            if args:
                raise click.UsageError(f"unexpected extra arguments: {' '.join(args)}", ctx)
            return command
        if not args:
            return command  # a group on its own lists its commands
        name, args = args[0], args[1:]
        sub = command.get_command(ctx, name)
        if sub is None:
            raise click.UsageError(f"no such command {name!r} under {ctx.command_path}", ctx)
        command = sub


def _check_values(command: click.Command, ctx: click.Context, opts: dict) -> None:
    """Convert each given value with its parameter's type (file paths left alone); check that
    required parameters are there."""
    for param in command.get_params(ctx):
        value = opts.get(param.name)
        if value is None or value is _NO_DEFAULT[1]:
            if param.required and param.get_default(ctx, call=False) in _NO_DEFAULT:
                raise click.MissingParameter(ctx=ctx, param=param)
            continue
        if isinstance(param.type, click.Path | click.File):
            continue
        param.type_cast_value(ctx, value)
