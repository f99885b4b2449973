"""The package version, and the code version a model run records (version + git commit)."""

from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    __version__ = version("priorgraph")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0+unknown"


def code_version() -> str:
    """Package version plus the git commit of the source tree when there is one."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{commit}"
