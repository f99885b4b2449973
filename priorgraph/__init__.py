"""priorgraph: biological priors for single-cell models, kept in one Neo4j graph.

The data path is ``source file -> priorgraph.ingest -> Neo4j (priorgraph.kg) ->
priorgraph.queries (read queries + exports) -> priorgraph.models -> write-back``; the layers and
what each may import are drawn in docs/architecture.md.

From Python, ``pg = priorgraph.connect()`` gives the graph's priors as DataFrames and PyTorch
Geometric objects (:mod:`priorgraph.api`, docs/api.md). Importing ``priorgraph`` (or
``priorgraph.kg``, …) loads nothing else: ``connect`` and ``Client`` are imported on first use.
"""

import warnings
from typing import TYPE_CHECKING, Any

from priorgraph.core.version import __version__

# torch_geometric calls torch.jit.script at import; its deprecation notice is not ours (or a
# notebook user's) to act on
warnings.filterwarnings(
    "ignore", message=".*torch.jit.script.* is deprecated", category=FutureWarning
)

if TYPE_CHECKING:
    from priorgraph.api import Client, connect

__all__ = ["Client", "__version__", "connect"]
_API = ("Client", "connect")


def __getattr__(name: str) -> Any:
    """``priorgraph.connect`` and ``priorgraph.Client``, imported from :mod:`priorgraph.api`
    when first asked for."""
    if name in _API:
        from priorgraph import api

        return getattr(api, name)
    raise AttributeError(f"module 'priorgraph' has no attribute {name!r}")
