"""Files only their owner may read: the local server's home, its data and its secrets.

The server's home holds the generated password, Neo4j's store (the auth store of the ``system``
database among it), its logs and the guides; none of it is for other users of the machine.
New files are written private from the start (:func:`write_private`, and the JVM runs with
:data:`PRIVATE_UMASK`); :func:`make_private` tightens what an older install left readable.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077  # what the server's JVM creates is 0600 (files) and 0700 (directories)
OWNER_ONLY = 0o700  # the permission bits make_private keeps


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as a 0600 file, atomically.

    The text goes to a new temporary file created 0600 (``O_EXCL | O_NOFOLLOW``: never through
    a planted link, never into a file that already had looser permissions), which then replaces
    ``path``; a reader sees the old content or the new, and nobody else ever can.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def open_private_log(path: Path):
    """``path`` opened for writing (truncated), created 0600: a log only the owner reads."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY)
    handle = open(path, "w", opener=lambda name, flags: os.open(name, flags, 0o600))  # noqa: SIM115
    os.chmod(path, 0o600)
    return handle


def make_private(root: Path) -> int:
    """Remove group and other permissions from ``root`` and everything under it.

    Directories end 0700 (or tighter) and files 0600 (or tighter); symbolic links are neither
    followed nor changed. Returns how many entries were tightened, so a caller can log that an
    older install was fixed.
    """
    root.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY)
    changed = 0
    for directory, _subdirs, names in os.walk(root):  # each sub-directory comes as `directory`
        for path in (directory, *(os.path.join(directory, name) for name in names)):
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode) or not mode & 0o077:
                continue
            os.chmod(path, stat.S_IMODE(mode) & OWNER_ONLY)
            changed += 1
    return changed
