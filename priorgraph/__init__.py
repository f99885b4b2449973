"""priorgraph: biological priors for single-cell models, kept in one Neo4j graph.

The data path is ``source file -> priorgraph.ingest -> Neo4j (priorgraph.kg) ->
priorgraph.queries (read queries + exports) -> priorgraph.models -> write-back``; the layers and
what each may import are drawn in docs/architecture.md. Importing ``priorgraph`` loads nothing
else.
"""

from priorgraph.core.version import __version__

__all__ = ["__version__"]
