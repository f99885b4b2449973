"""Names that become file names (data sets, splits, runs): plain names, never paths.

A name is 1–128 characters of letters, digits, ``.``, ``_`` and ``-`` that starts with a letter
or digit, so it can be neither a path (``../../x``, ``a/b``, ``/etc``) nor a hidden file, and
a file named after it stays inside its folder of the store.
"""

from __future__ import annotations

import re

from priorgraph.core.errors import UsageError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_name(value: str, *, what: str) -> str:
    """Return ``value`` when it is a plain name (see the module doc), else raise.

    Parameters
    ----------
    value
        The name given by the user (or built from such names, e.g. a run id).
    what
        What the name names (``split``, ``data set``, ``run``), for the message.

    Raises
    ------
    UsageError
        ``value`` is empty, too long, or has a character outside the allowed set.
    """
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise UsageError(
            f"bad {what} name {value!r}: use 1-128 letters, digits, '.', '_' or '-', starting "
            "with a letter or digit (a name, not a path)"
        )
    return value
