"""Small helpers every layer shares: text files that may be gzipped, dense arrays, progress bars.

Progress bars are ``tqdm`` bars on stderr, shown only when asked (``progress=True``) and only on a
terminal; the library never uses rich (the CLI does, for tables and log lines).
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np
from scipy import sparse
from tqdm.auto import tqdm

T = TypeVar("T")


def open_text(path: str | Path, *, newline: str | None = None) -> IO[str]:
    """Open a text file for reading, gunzipping it on the fly when its name ends in ``.gz``.

    Parameters
    ----------
    path
        The file.
    newline
        As for :func:`open`; pass ``""`` for files read with the :mod:`csv` module.
    """
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", newline=newline)
    return open(path, newline=newline)


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
