"""priorgraph: biological priors for single-cell models, kept in one Neo4j graph.

The data path is ``source file -> priorgraph.ingest -> Neo4j (priorgraph.kg) ->
priorgraph.queries (Cypher + exports) -> priorgraph.models -> write-back``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("priorgraph")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0+unknown"

__all__ = ["__version__"]
