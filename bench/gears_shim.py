"""Compatibility shim for the published GEARS (cell-gears 0.1.2) on today's pandas.

Import this module, then call :func:`apply`, before importing ``gears``. Nothing installed is
edited; the shim adds back one pandas method that GEARS relies on indirectly and refuses to run
where GEARS would compute something else without an error.

* ``pandas.Series.nonzero`` (removed in pandas 1.0). GEARS indexes its sparse expression matrix
  with a boolean Series (``adata.X[adata.obs.condition == 'ctrl']``); scipy's sparse indexing
  turns a non-array boolean index into positions by calling ``index.nonzero()``. The shim gives
  Series the old method: the positions of its true (non-zero) values, as a tuple of arrays.
* pandas ≥ 3 is refused. GEARS 0.1.2 reads ``Series[0]`` on a string index (a positional
  fallback that pandas 3 removed: KeyError) and builds its GO graph with
  ``groupby('target').apply(…)``, whose result loses the grouping column in pandas 3, so the
  graph could not be built. Both work, with FutureWarnings only, on pandas 2.x.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GEARS_PANDAS = (2, 3)  # pandas major versions GEARS 0.1.2 runs on: [2, 3)


def _series_nonzero(self: pd.Series) -> tuple[np.ndarray, ...]:
    """Positions of the true (non-zero) values, as pandas < 1.0 returned them."""
    return np.asarray(self).nonzero()


def apply() -> None:
    """Check the pandas version and restore ``Series.nonzero`` (idempotent)."""
    major = int(pd.__version__.split(".")[0])
    if not GEARS_PANDAS[0] <= major < GEARS_PANDAS[1]:
        raise ImportError(
            f"GEARS 0.1.2 needs pandas >= 2, < 3 (found {pd.__version__}): install the extra, "
            "pip install -e '.[gears]'"
        )
    if not hasattr(pd.Series, "nonzero"):
        pd.Series.nonzero = _series_nonzero
