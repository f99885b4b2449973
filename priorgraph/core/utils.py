"""Small helpers every layer shares: text files that may be gzipped, dense arrays, progress bars.

Text input goes through :func:`open_text`, so an unreadable file (not UTF-8, a truncated gzip) is
one :class:`~priorgraph.core.errors.InputError` naming file, line and problem wherever it is read.

Progress bars are ``tqdm`` bars on stderr, shown only when asked (``progress=True``) and only on a
terminal; the library never uses rich (the CLI does, for tables and log lines).
"""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np
from scipy import sparse
from tqdm.auto import tqdm

from priorgraph.core.errors import InputError

T = TypeVar("T")


class _TextInput:
    """The context manager :func:`open_text` returns: it opens the file on ``with`` and turns a
    decoding or decompression failure inside the block into an :class:`InputError`."""

    def __init__(self, path: Path, newline: str | None):
        self.path = path
        self.newline = newline
        self.handle: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        try:
            if self.path.suffix == ".gz":
                self.handle = gzip.open(self.path, "rt", encoding="utf-8", newline=self.newline)
            else:
                self.handle = open(self.path, encoding="utf-8", newline=self.newline)
        except FileNotFoundError:
            raise InputError(self.path, "no such file") from None
        except IsADirectoryError:
            raise InputError(self.path, "is a directory, not a file") from None
        except PermissionError:
            raise InputError(self.path, "permission denied") from None
        return self.handle

    def __exit__(self, kind: type | None, err: BaseException | None, tb: Any) -> bool:
        assert self.handle is not None
        self.handle.close()
        if isinstance(err, (UnicodeDecodeError, EOFError, OSError, zlib.error)):
            found = unreadable_line(self.path)
            if found is not None:
                line, problem = found
                raise InputError(self.path, problem, line=line) from err
        return False  # anything else (or an error the file does not explain) goes on up


def open_text(path: str | Path, *, newline: str | None = None) -> ContextManager[IO[str]]:
    """Open a UTF-8 text file for reading in a ``with`` block, gunzipping it on the fly when its
    name ends in ``.gz``; every text reader of priorgraph goes through it.

    A file that cannot be read as text is an :class:`~priorgraph.core.errors.InputError` naming
    the file, the line and the problem, raised from the ``with`` block: bytes that are not
    UTF-8, a truncated or corrupt gzip stream, a ``.gz`` name on a file that is not gzipped, a
    missing file. Reading stays as fast as a plain :func:`open`: the line is found only when a
    read fails, by reading the file again (:func:`unreadable_line`).

    Parameters
    ----------
    path
        The file.
    newline
        As for :func:`open`; pass ``""`` for files read with the :mod:`csv` module.
    """
    return _TextInput(Path(path), newline)


def read_json(path: str | Path, *, error: type[InputError] = InputError) -> Any:
    """The JSON document of a text file, read through :func:`open_text`; invalid JSON (a
    truncated file) is ``error(path, problem, line=…)``."""
    try:
        with open_text(path) as handle:
            return json.load(handle)
    except json.JSONDecodeError as err:
        raise error(
            path, f"not valid JSON: {err.msg} (column {err.colno})", line=err.lineno
        ) from err


def read_words(path: str | Path) -> list[str]:
    """The whitespace-separated words of a text file (a list of genes or feature names), read
    through :func:`open_text`."""
    with open_text(path) as handle:
        return handle.read().split()


def unreadable_line(path: str | Path) -> tuple[int, str] | None:
    """``(line, problem)`` of the first line of ``path`` that cannot be read as UTF-8 text
    (gunzipped when the name ends in ``.gz``), or None when every line reads."""
    path = Path(path)
    gzipped = path.suffix == ".gz"
    number = 0
    try:
        with gzip.open(path, "rb") if gzipped else open(path, "rb") as raw:
            for number, line in enumerate(raw, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as err:
                    return number, (
                        f"not UTF-8 text: byte 0x{line[err.start]:02x} (byte {err.start + 1} of "
                        "the line) cannot be decoded; save the file as UTF-8"
                    )
    except EOFError:
        return number + 1, (
            f"truncated gzip file: the compressed data ends after line {number:,}, before the "
            "end of the stream (copy or download the file again)"
        )
    except gzip.BadGzipFile as err:
        if number == 0:
            return 1, f"not a gzip file although its name ends in .gz ({err})"
        return number + 1, f"corrupt gzip data after line {number:,} ({err})"
    except zlib.error as err:
        return number + 1, f"corrupt gzip data after line {number:,} ({err})"
    return None


def dense(x: Any, dtype: type = np.float64) -> np.ndarray:
    """A dense ndarray of ``x`` (a scipy sparse matrix, an ndarray or a matrix) in ``dtype``."""
    return np.asarray(x.toarray() if sparse.issparse(x) else x, dtype=dtype)


def progress(
    iterable: Iterable[T] | None = None,
    *,
    total: int | None = None,
    desc: str = "",
    enabled: bool = True,
    unit: str = "it",
    bar_format: str | None = None,
) -> tqdm:
    """A progress bar over ``iterable`` (or one advanced by ``bar.update(n)``).

    Parameters
    ----------
    iterable
        What to iterate over, or None for a bar advanced by hand.
    total
        The expected number of items, when ``iterable`` has no length.
    desc
        The label in front of the bar.
    enabled
        False: no bar at all. True: a bar when stderr is a terminal.
    unit
        What one item is called.
    bar_format
        tqdm's layout of the bar, when the default does not fit (:func:`progress_step`).
    """
    return tqdm(
        iterable, total=total, desc=desc, unit=unit, disable=None if enabled else True,
        leave=False, dynamic_ncols=True, bar_format=bar_format,
    )  # fmt: skip


@contextmanager
def progress_step(desc: str, *, enabled: bool = True, interval: float = 0.5) -> Iterator[tqdm]:
    """A bar for one step that counts nothing itself (a parser, a subprocess, a wait): it says
    what runs and for how long, ``desc: 01:23``, refreshed every ``interval`` seconds until
    the block ends. ``bar.set_postfix_str`` adds what the step is at, when it knows.
    """
    with progress(desc=desc, enabled=enabled, bar_format="{desc}: {elapsed}{postfix}") as bar:
        if bar.disable:
            yield bar
            return
        done = threading.Event()

        def tick() -> None:
            while not done.wait(interval):
                bar.refresh()

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield bar
        finally:
            done.set()
            ticker.join()
