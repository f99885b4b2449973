"""Binary data files from outside — pickles, NPZ archives, h5ad files — read so that a broken or
hostile file is one :class:`~priorgraph.core.errors.InputError` naming it, and never runs code.

* :func:`load_pickle` is the one restricted unpickler of priorgraph: it rebuilds plain data only
  (dicts, lists, tuples, sets, strings, numbers, numpy arrays and scalars: :data:`PICKLE_ALLOWED`)
  and refuses any other global, so a pickle that would call ``os.system`` (or any function) is
  refused before anything of it runs. Every pickle reader (GEARS's ``gene2go``, GenePT
  embeddings) goes through it.
* :func:`load_npz` reads every array of an ``.npz`` with ``allow_pickle=False`` (object arrays,
  which are pickles, are refused) and reports truncated or corrupt archives.
* :func:`read_h5ad` tells an HTML page (a failed download), a file that is not HDF5 and a
  truncated or corrupt h5ad apart, instead of h5py's traceback.

The problem texts say what to do; the original exception stays chained for ``--debug``.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from priorgraph.core.errors import InputError

if TYPE_CHECKING:
    import anndata

# (module, name) pairs a pickle may name: builtins containers (rebuilt by call in older
# protocols, ``__builtin__`` in protocol 2, or named as a defaultdict's factory), numpy arrays,
# dtypes and scalars (numpy 1 and 2 module paths, protocol 2-5 reconstructors) and the
# byte-string helper of protocol-2 pickles. Nothing else is ever called.
PICKLE_ALLOWED: frozenset[tuple[str, str]] = frozenset({
    *((module, name) for module in ("builtins", "__builtin__")
      for name in ("dict", "list", "tuple", "set", "frozenset", "bytearray", "complex")),
    ("collections", "OrderedDict"), ("collections", "defaultdict"), ("_codecs", "encode"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
})  # fmt: skip
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, an empty zip


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals of :data:`PICKLE_ALLOWED`."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in PICKLE_ALLOWED:
            return super().find_class(module, name)
        raise _Refused(f"{module}.{name}")


class _Refused(pickle.UnpicklingError):
    """A pickle named a global outside the allow-list."""


def first_bytes(path: str | Path, size: int = 64) -> bytes:
    """The first ``size`` bytes of a file (empty for an empty file)."""
    with open(path, "rb") as handle:
        return handle.read(size)


def looks_like_html(head: bytes) -> bool:
    """True when a file starts like an HTML or XML page (an error page saved as data)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body"))


def _exists(path: Path, error: type[InputError]) -> None:
    if not path.exists():
        raise error(path, "no such file")
    if path.is_dir():
        raise error(path, "is a directory, not a file")


def load_pickle(
    handle: IO[bytes], *, path: str | Path, error: type[InputError] = InputError
) -> Any:
    """Unpickle plain data from ``handle``; refuse anything that would call code.

    Parameters
    ----------
    handle
        The open binary stream (a file, or a member of a zip archive).
    path
        How the file is named in errors (``archive.zip!member`` for a member).
    error
        The :class:`InputError` subclass to raise (the reader's own kind of file).

    Raises
    ------
    InputError
        ``error(path, problem)``: the pickle names a global outside :data:`PICKLE_ALLOWED`
        (nothing of it has run), or is not a readable pickle (an HTML page, truncated, …).
    """
    head = handle.peek(64)[:64] if hasattr(handle, "peek") else b""
    if looks_like_html(head):
        raise error(path, "an HTML page, not a pickle (a failed download? fetch the file again)")
    try:
        return _RestrictedUnpickler(handle).load()
    except _Refused as err:
        raise error(
            path,
            f"refused: the pickle would call {err}; only plain data is read from pickles "
            "(dicts, lists, sets, strings, numbers, numpy arrays)",
        ) from None
    except Exception as err:  # any failure of the unpickler on these bytes is a bad file
        raise error(path, f"not a readable pickle ({type(err).__name__}: {err})") from err


def load_npz(path: str | Path, *, error: type[InputError] = InputError) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive, read eagerly with ``allow_pickle=False``.

    Raises
    ------
    InputError
        ``error(path, problem)``: no such file, an HTML page, not a zip archive, a truncated or
        corrupt archive or member, or an array of Python objects (a pickle: refused).
    """
    path = Path(path)
    _exists(path, error)
    head = first_bytes(path)
    if looks_like_html(head):
        raise error(path, "an HTML page, not an NPZ archive (a failed download?)")
    if not head.startswith(ZIP_SIGNATURES):
        raise error(path, "not an NPZ archive (a zip of .npy arrays): wrong file or format")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise error(
                path, "holds arrays of Python objects (pickles), which are refused: save plain "
                "numeric or string arrays",
            ) from err  # fmt: skip
        raise error(path, f"corrupt NPZ archive ({err})") from err
    except Exception as err:  # zipfile.BadZipFile, EOFError, zlib.error, OSError: broken bytes
        problem = "truncated or corrupt NPZ archive"
        if isinstance(err, zipfile.BadZipFile | EOFError):
            problem = "truncated NPZ archive (copy or write the file again)"
        raise error(path, f"{problem}: {type(err).__name__}: {err}") from err


def read_h5ad(
    path: str | Path, *, error: type[InputError] = InputError, backed: bool = False
) -> anndata.AnnData:
    """Read an AnnData ``.h5ad`` file (``backed``: obs/var in memory, X left on disk).

    Raises
    ------
    InputError
        ``error(path, problem)``: no such file, an HTML page, not an HDF5 file, or an HDF5 file
        that h5py or anndata cannot read (truncated, corrupt, not an AnnData layout).
    """
    import anndata
    import h5py

    path = Path(path)
    _exists(path, error)
    if looks_like_html(first_bytes(path)):
        raise error(path, "an HTML page, not an h5ad file (a failed download? fetch it again)")
    if not h5py.is_hdf5(path):
        raise error(path, "not an h5ad file: no HDF5 signature (wrong file, or a truncated copy)")
    try:
        return anndata.read_h5ad(path, backed="r" if backed else None)
    except Exception as err:  # h5py and anndata raise many kinds on broken bytes
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if "truncated" in message:
            raise error(path, f"truncated h5ad file (copy it again): {message}") from err
        raise error(path, f"not a readable h5ad file: {message}") from err
