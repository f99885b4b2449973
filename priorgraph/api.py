"""The Python API: the graph's priors as pandas DataFrames and PyTorch Geometric objects.

For notebooks::

    import priorgraph

    pg = priorgraph.connect()                   # the local server, or NEO4J_URI & co.
    pg.query("go_neighbours", gene="human:STAT1", go_graph="gears_go")   # a DataFrame
    data = pg.go_graph(genes=adata.var_names)    # torch_geometric Data, rows = genes
    pg.close()

Every read goes through :meth:`priorgraph.kg.connection.Graph.read`, which refuses anything
but a read (docs/architecture.md, "Queries"); :meth:`Client.cypher` writes only when asked
(``write=True``). Gene lists may be an AnnData's ``var_names`` or any iterable of gene symbols
(``STAT1``) or gene ids (``human:STAT1``). docs/api.md walks through every method.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from priorgraph.core.config import DEFAULT_USER, Neo4jSettings, database_name
from priorgraph.core.errors import UsageError
from priorgraph.kg import cypher as store
from priorgraph.kg import ids
from priorgraph.kg.connection import Graph

if TYPE_CHECKING:
    import torch
    from torch_geometric.data import Data, HeteroData

    from priorgraph.queries.features import Fill

logger = logging.getLogger(__name__)


def connect(
    *,
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
) -> Client:
    """Connect to the graph and check that it answers.

    Parameters
    ----------
    uri
        A Neo4j URI (``bolt://host:7687``, ``neo4j+s://…``). None: ``NEO4J_URI`` when it is
        set, else the local server that ``priorgraph server start`` runs.
    user
        With ``uri``: the user (default ``neo4j``).
    password
        With ``uri``: the password (default ``NEO4J_PASSWORD``).
    database
        With ``uri``: the database (default ``NEO4J_DATABASE``, else ``neo4j``).

    Returns
    -------
    Client
        Use it as a context manager, or call :meth:`Client.close` when done.

    Raises
    ------
    priorgraph.core.errors.GraphConnectionError
        No Neo4j answers, or it refuses the credentials (the message says what to do).

    Examples
    --------
    >>> with priorgraph.connect() as pg:
    ...     pg.cypher("RETURN 1 + 1 AS two")["two"].tolist()
    [2]
    """
    settings = None
    if uri is not None:
        settings = Neo4jSettings(
            uri=uri,
            user=user or DEFAULT_USER,
            password=password if password is not None else os.environ.get("NEO4J_PASSWORD"),
            database=database or database_name(),
            local=False,
        )
    elif user is not None or password is not None or database is not None:
        raise UsageError("user, password and database go with uri= (without it: NEO4J_* or the "
                         "local server)")  # fmt: skip
    graph = Graph(settings)
    try:
        graph.verify()
    except BaseException:
        graph.close()
        raise
    return Client(graph)


def gene_ids(genes: Iterable[str] | str, *, species: str = ids.DEFAULT_SPECIES) -> list[str]:
    """The gene ids of ``genes``, in order: a gene id (``human:STAT1``) is kept, a symbol
    (``STAT1``) becomes ``species:symbol``.

    Parameters
    ----------
    genes
        An AnnData's ``var_names``, a list, a pandas Index or Series, or one name.
    species
        The species of bare symbols.

    Examples
    --------
    >>> from priorgraph.api import gene_ids
    >>> gene_ids(["STAT1", "human:IRF1"])
    ['human:STAT1', 'human:IRF1']
    """
    names = _names(genes)
    bad = [n for n in names if not isinstance(n, str) or not n.strip()]
    if bad:
        raise UsageError(f"gene names must be non-empty text; got {bad[:5]!r}")
    return [n if ":" in n else ids.gene_id(n, species) for n in names]


def _names(genes: Iterable[str] | str) -> list[str]:
    """``genes`` as a list; one name given as a string is a list of one (not of letters)."""
    return [genes] if isinstance(genes, str) else list(genes)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A DataFrame of query rows, with the query's columns even when there is no row."""
    return pd.DataFrame(list(rows), columns=getattr(rows, "columns", None))


class Client:
    """A connection to the graph, for notebooks; made by :func:`connect`.

    Methods give DataFrames (queries, Cypher, features, effects) and PyG objects (the GO
    graph, guidance graphs). ``graph`` is the underlying
    :class:`~priorgraph.kg.connection.Graph`, for the library's own functions.
    """

    def __init__(self, graph: Graph):
        self.graph = graph

    def __repr__(self) -> str:
        return f"<priorgraph.Client {self.graph.settings.uri} database {self.graph.database}>"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (also when the ``with`` block ends)."""
        self.graph.close()

    def queries(self) -> pd.DataFrame:
        """The named read queries: name, parameters and what each answers (as
        ``priorgraph query`` lists them; docs/queries.md has them all).

        Examples
        --------
        >>> pg.queries().set_index("query").loc["go_neighbours", "parameters"]
        'gene, go_graph'
        """
        named = map(store.get, store.names(mode="read"))
        return pd.DataFrame(
            [{"query": q.name, "parameters": ", ".join(q.parameters),
              "description": q.description} for q in named],
            columns=["query", "parameters", "description"],
        )  # fmt: skip

    def query(self, name: str, /, **params: Any) -> pd.DataFrame:
        """Run the named read query ``name`` (``kg/cypher/NAME.cypher``) with its parameters.

        Parameters
        ----------
        name
            A read query (:meth:`queries` lists them).
        **params
            Every parameter the query takes, by name (``None`` where the query allows null,
            e.g. ``run=None``: every run). Gene parameters take gene ids (``human:STAT1``).

        Returns
        -------
        pandas.DataFrame
            One row per result row, the query's columns (also when empty).

        Raises
        ------
        priorgraph.core.errors.UsageError
            An unknown query, a query that writes, or missing or unknown parameters.

        Examples
        --------
        >>> pg.query("go_neighbours", gene="human:STAT1", go_graph="gears_go")[
        ...     ["neighbour", "rank"]].to_dict("records")[:2]
        [{'neighbour': 'human:STAT1', 'rank': 1}, {'neighbour': 'human:IRF1', 'rank': 2}]
        """
        query = store.get(name)
        if query.mode != "read":
            raise UsageError(f"{name} writes to the graph; query() runs the read queries only "
                             "(pg.cypher(text, write=True) runs a write of your own)")  # fmt: skip
        query.check_parameters(params)
        return _frame(self.graph.read(query.text, params))

    def cypher(
        self,
        text: str,
        /,
        *,
        write: bool = False,
        parameters: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> pd.DataFrame:
        """Run Cypher of your own; read-only unless ``write=True``.

        Parameters
        ----------
        text
            The query. Values go in as ``$parameters``, never formatted into the text.
        write
            False: the query must only read (checked before it runs; writes, administrative
            commands and ``LOAD CSV`` are refused with a
            :class:`~priorgraph.core.errors.ReadOnlyQueryError`). True: it runs in a write
            transaction.
        parameters
            Parameters as a mapping (for names such as ``write`` that cannot be keywords).
        **params
            Parameters by name.

        Returns
        -------
        pandas.DataFrame
            The result rows (nodes and relationships as dicts of their properties).

        Examples
        --------
        >>> pg.cypher("MATCH (g:Gene {symbol: $s}) RETURN g.id AS id", s="STAT1")
                    id
        0  human:STAT1
        """
        values = {**(parameters or {}), **params}
        rows = self.graph.write(text, values) if write else self.graph.read(text, values)
        return _frame(rows)

    def go_graph(
        self,
        *,
        genes: Iterable[str],
        k: int = 20,
        graph_name: str | None = None,
        source: str | None = None,
        threshold: float = 0.1,
        drop_unannotated: bool = False,
        species: str = ids.DEFAULT_SPECIES,
    ) -> Data:
        """The GEARS GO graph over ``genes`` as a PyG ``Data``.

        Edge ``source → target`` (``edge_index[0]`` → ``edge_index[1]``) joins each gene to
        its top-``k`` GO neighbours plus itself, with weight the Jaccard index of their GO
        term sets, J(a, b) = |T_a ∩ T_b| / |T_a ∪ T_b|, kept when J > ``threshold``
        (docs/go.md). Row ``i`` is gene ``data.gene_ids[i]``, named ``data.genes[i]`` as you
        gave it; ``data.unannotated`` lists the genes without GO annotation (isolated nodes,
        or dropped with ``drop_unannotated``); ``data.content_hash`` identifies the graph.

        Parameters
        ----------
        genes
            Gene symbols or ids (an AnnData's ``var_names``); duplicates count once.
        k
            Neighbours per gene, besides itself.
        graph_name
            Read the stored GO graph of this name (``priorgraph go-graph build``) instead of
            computing one for exactly these genes.
        source
            Annotation source to use (None: all).
        threshold
            Keep J > threshold.
        drop_unannotated
            Leave out the genes without GO annotation.
        species
            The species of bare symbols.

        Examples
        --------
        >>> data = pg.go_graph(genes=["STAT1", "STAT2", "IRF1", "NOTAGENE"])
        >>> data.num_nodes, data.genes[:2], data.unannotated
        (4, ['STAT1', 'STAT2'], ['human:NOTAGENE'])
        """
        from priorgraph.queries.export_go import go_graph_export  # torch: loaded when used

        names = self._named_ids(genes, species)
        export = go_graph_export(
            self.graph, list(names), k=k, graph_name=graph_name, source=source,
            threshold=threshold, drop_unannotated=drop_unannotated,
        )  # fmt: skip
        data = export.data
        data.gene_ids = list(export.node_ids["node"])
        data.genes = [names[g] for g in data.gene_ids]
        data.unannotated = list(export.meta["unannotated"])
        data.content_hash = export.content_hash
        if data.unannotated:
            logger.info("GO graph: %d of %d genes have no GO annotation", len(data.unannotated),
                        len(names))  # fmt: skip
        return data

    def guidance(
        self,
        *,
        assembly: str,
        features: Iterable[str] | None = None,
        methods: Iterable[str] | None = None,
        peak_names: str = "colon",
    ) -> HeteroData:
        """The peak–gene guidance graph of one assembly as a PyG ``HeteroData`` (GLUE's
        guidance graph; docs/peaks.md).

        Node types ``gene`` and ``peak``; edge types ``('peak', 'linked_to', 'gene')`` and its
        reverse ``('gene', 'rev_linked_to', 'peak')``, each with ``edge_index``,
        ``edge_weight`` and ``edge_sign``. ``data[t].node_ids`` are the graph's ids of node
        type ``t`` in row order and ``data[t].names`` the feature names (gene symbols, peaks
        as ``chr1:100-600``); ``data.missing_features`` lists the asked-for features the
        graph does not hold; ``data.content_hash`` identifies the graph.

        Parameters
        ----------
        assembly
            The genome assembly (``hg38``, …).
        features
            Only these feature names (an ATAC + RNA AnnData's ``var_names``); None: all.
        methods
            Only links of these methods (``window``, …); None: every method.
        peak_names
            How peaks are named: ``colon`` (``chr1:100-600``, 10x), ``dash`` or
            ``underscore``.

        Examples
        --------
        >>> data = pg.guidance(assembly="hg38")
        >>> data["gene"].names, data["peak", "linked_to", "gene"].edge_index.shape[1]
        (['CD14', 'STAT1'], 2)
        """
        from priorgraph.queries import export_guidance  # torch: loaded when used

        tables = export_guidance.fetch_guidance(
            self.graph, assembly, methods=list(methods) if methods else None,
            features=None if features is None else list(features), peak_names=peak_names,
        )  # fmt: skip
        export = export_guidance.to_heterodata(tables)
        data = export.data
        for node_type, table in (("gene", tables.genes), ("peak", tables.peaks)):
            data[node_type].node_ids = table["id"].tolist()
            data[node_type].names = table["name"].tolist()
        data.missing_features = list(tables.missing_features)
        data.content_hash = export.content_hash
        if tables.missing_features:
            logger.warning(
                "guidance graph: %d of the features are not in the graph, e.g. %s",
                len(tables.missing_features),
                ", ".join(tables.missing_features[:5]),
            )
        return data

    def features(
        self,
        genes: Iterable[str],
        *,
        kind: str = "genept",
        fill: Fill | None = None,
        as_tensor: bool = False,
        species: str = ids.DEFAULT_SPECIES,
    ) -> pd.DataFrame | torch.Tensor:
        """Gene embeddings (GenePT, MuSe-GNN, …) for ``genes``, one row per gene in order.

        Parameters
        ----------
        genes
            Gene symbols or ids (an AnnData's ``var_names``).
        kind
            The embedding kind (``genept``, ``musegnn``; docs/genept.md).
        fill
            Genes without an embedding: None leaves their row NaN in a DataFrame (and is an
            error for a tensor); ``zero`` fills zeros, ``mean`` the mean of the present
            rows. Filling more than 20 % of the rows logs a warning.
        as_tensor
            Return a float32 ``torch.Tensor`` instead of a DataFrame.
        species
            The species of bare symbols.

        Returns
        -------
        pandas.DataFrame or torch.Tensor
            The DataFrame's index is ``genes`` as given, its columns the dimensions;
            ``df.attrs`` has ``kind``, ``fill`` and ``missing`` (the gene ids without an
            embedding).

        Examples
        --------
        >>> x = pg.features(["STAT1", "LYZ"], kind="genept")
        >>> x.shape, x.attrs["missing"], x.loc["LYZ"].isna().all().item()
        ((2, 4), ['human:LYZ'], True)
        """
        from priorgraph.queries import features as gene_features  # torch: loaded when used

        names = _names(genes)
        wanted = gene_ids(names, species=species)
        if as_tensor or fill is not None:
            result = gene_features.gene_features(self.graph, wanted, kind, fill)
            if as_tensor:
                return result.tensor()
            matrix = result.matrix
        else:  # NaN rows say "no embedding" without inventing one
            result = gene_features.gene_features(self.graph, wanted, kind, "zero", warn_above=1.0)
            matrix = result.matrix.copy()
            matrix[~result.present] = float("nan")
            missing = len(result.missing)
            if missing > gene_features.FILL_WARNING * len(wanted):
                logger.warning("%s features: %d of %d genes have no embedding (NaN rows)",
                               kind, missing, len(wanted))  # fmt: skip
        frame = pd.DataFrame(matrix, index=pd.Index(names, name="gene"))
        frame.attrs.update(kind=kind, fill=fill, missing=result.missing)
        return frame

    def effects(
        self,
        *,
        gene: str | None = None,
        perturbation: str | None = None,
        run: str | None = None,
        dataset: str | None = None,
        top: int = 20,
        species: str = ids.DEFAULT_SPECIES,
    ) -> pd.DataFrame:
        """Predicted and observed effects: which perturbations move ``gene``, or which genes
        ``perturbation`` moves (give exactly one).

        Parameters
        ----------
        gene
            A gene symbol or id: the perturbations predicted (by any run, or ``run``) or
            observed to move it, largest \\|delta\\| first.
        perturbation
            A condition label (``JAK2+ctrl``, ``A+B``): the genes it moves.
        run
            Only this model run's predictions (None: every run).
        dataset
            Only this data set (None: every data set).
        top
            At most this many rows.
        species
            The species of a bare gene symbol.

        Returns
        -------
        pandas.DataFrame
            ``perturbation`` (or ``gene``), ``dataset``, ``run``, ``predicted`` and ``rank``
            (the gene's rank of \\|predicted delta\\| within the perturbation), ``observed``
            and ``de_rank`` (its observed DE rank); predicted rows first.

        Examples
        --------
        >>> pg.effects(gene="STAT1", run="toy_run")[["perturbation", "predicted"]].head(2)
          perturbation  predicted
        0    JAK2+IRF1       -1.7
        1    JAK2+ctrl       -1.5
        """
        from priorgraph.queries import effects  # matplotlib: loaded when used

        if (gene is None) == (perturbation is None):
            raise UsageError("give exactly one of gene= or perturbation=")
        if gene is not None:
            rows = effects.gene_effects(self.graph, gene, run=run, top=top, dataset=dataset,
                                        species=species)  # fmt: skip
        else:
            rows = effects.perturbation_effects(self.graph, perturbation, run=run, top=top,
                                                dataset=dataset)  # fmt: skip
        return _frame(rows)

    def _named_ids(self, genes: Iterable[str], species: str) -> dict[str, str]:
        """Gene id → the name it was given by (the first one, for duplicates), in order."""
        names = _names(genes)
        out: dict[str, str] = {}
        for gid, name in zip(gene_ids(names, species=species), names, strict=True):
            out.setdefault(gid, name)
        return out
