"""GenePT commands: ``ingest genept``, ``embed``, ``similar-genes``, ``export gene-features``,
``embed-cells``.

``--kind`` names an embedding kind of :data:`priorgraph.kg.schema.KINDS` (``genept``,
``musegnn``); a later kind is one more row there, and these commands take it unchanged.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from priorgraph.commands.common import open_graph
from priorgraph.commands.gene_names import GENE_REFERENCE, echo_names, load_resolver
from priorgraph.core.datafiles import read_h5ad
from priorgraph.core.errors import SummaryFileError, UsageError
from priorgraph.core.utils import read_words
from priorgraph.ingest import embed as embedding
from priorgraph.ingest import genept
from priorgraph.ingest import sources as registry
from priorgraph.kg import cypher
from priorgraph.kg import ids as kg_ids
from priorgraph.kg.schema import KINDS, get_kind
from priorgraph.kg.writer import Provenance
from priorgraph.output import FORMATS, echo_rows
from priorgraph.queries import features

KIND = click.option("--kind", type=click.Choice(sorted(KINDS)), default="genept",
                    show_default=True, help="Which gene embedding.")  # fmt: skip
SPECIES = click.option("--species", default=kg_ids.DEFAULT_SPECIES, show_default=True)
MISSING_LISTED = 20  # genes without an embedding named by `export gene-features`
FORMAT = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                      show_default=True)  # fmt: skip


@click.command("genept")
@click.argument("file_or_source")
@click.option("--model", help="Embedding model (default: recorded in the file, else asked).")
@click.option("--source", "source_name", help="Provenance name (default: registry name or file).")
@click.option("--version", "source_version", help="Provenance version (default: file sha256).")
@click.option("--member", help="Pickle inside a zip (GenePT's Zenodo archive).")
@click.option("--reference", default="default", show_default=True,
              help="Known genes besides the graph's: a gene table (source name or TSV with "
                   "'symbol'), 'default' (the species' registered tables) or 'none' (graph "
                   "genes only). Symbols are resolved (previous symbols, aliases, Ensembl "
                   "ids).")  # fmt: skip
@click.option("--skip-unknown", is_flag=True, help="Drop (and list) unknown symbols.")
@click.option("--replace", is_flag=True, help="Replace embeddings of another model/dimension.")
@KIND
@SPECIES
def ingest_genept(file_or_source, model, source_name, source_version, member, reference,
                  skip_unknown, replace, kind, species) -> None:  # fmt: skip
    """Validate an embedding file (pickle, CSV/TSV, NPZ) and store it as Gene.<kind>."""
    embeddings = registry.resolve(file_or_source)
    path = embeddings.path
    with open_graph() as graph:
        genes = load_resolver(graph, species, reference)
        table = genept.load_file(path, None, skip_unknown=skip_unknown, model=model,
                                 member=member, genes=genes)  # fmt: skip
        echo_names(table.names)
        default = embeddings.provenance()
        provenance = Provenance(source_name or default.source, source_version or default.version)
        result = genept.store(graph, table, provenance, kind=kind, species=species,
                              replace=replace)  # fmt: skip
    click.echo(f"stored {result.stored} {kind} vectors ({result.model}, {result.dimension}-d) "
               f"from {provenance.source} {provenance.version}; {result.genes_created} new genes; "
               f"index {result.index} online")  # fmt: skip
    for problem in table.unknown:
        click.echo(f"skipped unknown: {problem}")


@click.command("embed")
@click.argument("summaries")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write an NPZ (genes, embeddings, model) for `ingest genept`.")  # fmt: skip
@click.option("--store", is_flag=True, help="Also store the vectors in the graph (--kind).")
@click.option("--genes", "genes_file", type=click.Path(exists=True, dir_okay=False),
              help="Only these symbols (one per line).")  # fmt: skip
@click.option("--model", help=f"OpenAI model (default {embedding.DEFAULT_OPENAI_MODEL} with "
              f"OPENAI_API_KEY), else {embedding.LOCAL_MODEL} offline.")  # fmt: skip
@click.option("--base-url", help="An OpenAI-compatible endpoint (default: api.openai.com).")
@click.option("--batch-size", type=int, help="Texts per request.")
@click.option("--cache", "cache_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Cache file (default $PRIORGRAPH_HOME/embeddings/cache.sqlite).")  # fmt: skip
@click.option("--max-cost", type=float, default=5.0, show_default=True,
              help="Refuse to start when the estimate exceeds this many US$.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Print the token/cost estimate and stop.")
@click.option("--replace", is_flag=True, help="With --store: replace another model's vectors.")
@KIND
def embed(summaries, out, store, genes_file, model, base_url, batch_size, cache_path, max_cost,
          dry_run, replace, kind) -> None:  # fmt: skip
    """Embed gene summaries (NCBI-style JSON, or an Ensembl table's descriptions)."""
    path = registry.resolve(summaries).path
    genes = read_words(genes_file) if genes_file else None
    texts = embedding.load_summaries(path, genes)
    if not texts:
        raise SummaryFileError(path, "no gene text to embed")
    embedder = embedding.default_embedder(model, base_url)
    if batch_size:
        embedder.batch_size = batch_size
    cache = embedding.EmbeddingCache(cache_path)
    local = isinstance(embedder, embedding.LocalEmbedder)
    estimate = embedding.plan(list(texts.values()), embedder.model, cache, local)
    click.echo(f"plan: {estimate.describe()}")
    if dry_run:
        return
    if not (out or store):
        raise click.UsageError("say where the vectors go: --out FILE.npz and/or --store")
    if estimate.cost_usd is not None and estimate.cost_usd > max_cost:
        raise UsageError(f"estimated ${estimate.cost_usd:.2f} > --max-cost {max_cost}")
    matrix = embedding.embed_texts(list(texts.values()), embedder, cache)
    symbols = list(texts)
    if out:
        embedding.write_npz(out, symbols, matrix, embedder.model)
        click.echo(f"wrote {len(symbols)} × {matrix.shape[1]} embeddings to {out}")
    if store:
        with open_graph() as graph:
            names = load_resolver(graph, kg_ids.DEFAULT_SPECIES, "default").names(
                symbols, what=str(path)
            )
            echo_names(names)  # vectors go onto the genes' approved symbols
            approved = names.unique_symbols(symbols)
            entries = [genept.RawEntry(a, v, str(path), s)
                       for s, a, v in zip(symbols, approved, matrix, strict=True)]  # fmt: skip
            table = genept.validate(entries, path, None, model=embedder.model)
            provenance = Provenance(f"embed:{path.name}", embedder.model)
            result = genept.store(graph, table, provenance, kind=kind, replace=replace)
        click.echo(f"stored {result.stored} {kind} vectors; {result.genes_created} new genes")


@click.command("similar-genes")
@click.argument("symbol")
@click.option("-k", "k", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--no-shared-go", is_flag=True,
              help="Only genes sharing no GO term with SYMBOL (both GO-annotated).")  # fmt: skip
@click.option("--go-overlap", is_flag=True, help="Show shared GO terms and GO Jaccard.")
@click.option(
    "--candidates",
    type=int,
    help="Genes the index searches; wider: better recall, slower (default k; 200 with "
    "--no-shared-go).",
)
@KIND
@SPECIES
@FORMAT
def similar_genes(symbol, k, no_shared_go, go_overlap, candidates, kind, species, fmt) -> None:
    """The k genes nearest to SYMBOL by embedding (cosine, vector index)."""
    spec = get_kind(kind)
    name = ("genept_similar_no_shared_go" if no_shared_go
            else "genept_similar_go_overlap" if go_overlap else "genept_similar")  # fmt: skip
    gene = kg_ids.gene_id(symbol, species)
    with open_graph() as graph:
        width = candidates or features.search_width(k, filtered=no_shared_go)
        rows = cypher.run(graph, name, gene_id=gene, k=k, candidates=max(width, k),
                          **spec.params())  # fmt: skip
        if not rows and not features.fetch_vectors(graph, [gene], kind):
            raise click.ClickException(f"{gene} is not in the graph or has no {kind} embedding")
    echo_rows(rows, fmt)


@click.command("gene-features")
@click.option("--ids", "ids_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="An export (.pt), its .ids.tsv, or one gene id/symbol per line.")  # fmt: skip
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output: .npz (matrix, ids, present) or .pt.")  # fmt: skip
@click.option("--fill", type=click.Choice(features.FILLS),
              help="Fill genes without an embedding (default: fail and list them).")  # fmt: skip
@click.option("--node-type", default="node", show_default=True)
@KIND
@SPECIES
@GENE_REFERENCE
def gene_features(ids_file, out, fill, node_type, kind, species, gene_reference) -> None:
    """A gene × dim matrix aligned with an export's node-id map (or a gene list: names are
    resolved to the graph's genes, row order kept)."""
    ids = features.read_ids(ids_file, node_type, species)
    prefix = f"{species}:"
    with open_graph() as graph:
        names = load_resolver(graph, species, gene_reference).names(
            [i.removeprefix(prefix) for i in ids], what=ids_file
        )
        echo_names(names)
        ids = [names.gene_id(i.removeprefix(prefix)) or i for i in ids]
        result = features.gene_features(graph, ids, kind, fill)
    result.save(out)
    click.echo(f"wrote {len(ids):,} × {result.matrix.shape[1]} {kind} features to {out}; "
               f"{result.fill_summary()}")  # fmt: skip
    missing = result.missing
    if missing:
        more = f" … and {len(missing) - MISSING_LISTED:,} more" if len(missing) > MISSING_LISTED \
            else ""  # fmt: skip
        click.echo(f"no {kind} embedding: {', '.join(missing[:MISSING_LISTED])}{more}")


@click.command("embed-cells")
@click.argument("h5ad", type=click.Path(exists=True, dir_okay=False))
@click.option("--label", help="obs column of cell types: evaluate against it (with PCA).")
@click.option("--embeddings", "emb_file", type=click.Path(exists=True, dir_okay=False),
              help="Gene embeddings file (default: the graph's --kind vectors).")  # fmt: skip
@click.option("--sentences", is_flag=True, help="Also GenePT-s (embeds one sentence per cell).")
@click.option("--top-n", type=int, default=100, show_default=True, help="Genes per sentence.")
@click.option("--use-raw/--no-raw", default=True, show_default=True,
              help="Weights from .raw (log-normalised) when present.")  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the cell embeddings (.npz).")  # fmt: skip
@KIND
@SPECIES
@FORMAT
def embed_cells(h5ad, label, emb_file, sentences, top_n, use_raw, out, kind, species, fmt) -> None:
    """GenePT-w (and -s) cell embeddings of an AnnData; with --label, kNN/ARI/AMI vs PCA."""
    from priorgraph.models import genept_cells

    adata = read_h5ad(h5ad)
    matrix = adata.raw if use_raw and adata.raw is not None else adata
    x, var_names = matrix.X, [str(v) for v in matrix.var_names]
    if emb_file:
        table = genept.load_file(emb_file, None)
        vectors = dict(zip(table.symbols, table.matrix, strict=True))
    if not emb_file:
        with open_graph() as graph:
            by_id = features.fetch_vectors(graph, [kg_ids.gene_id(g, species) for g in var_names],
                                           kind)  # fmt: skip
        vectors = {g: by_id[kg_ids.gene_id(g, species)] for g in var_names
                   if kg_ids.gene_id(g, species) in by_id}  # fmt: skip
    click.echo(f"{len([g for g in var_names if g in vectors])} of {len(var_names)} genes "
               "have an embedding")  # fmt: skip
    reps = {"GenePT-w": genept_cells.genept_w(x, var_names, vectors)}
    if sentences:
        reps["GenePT-s"] = genept_cells.genept_s(x, var_names, embedding.default_embedder(),
                                                 embedding.EmbeddingCache(), top_n)  # fmt: skip
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savez(out, cells=np.array(adata.obs_names), **{k.replace("-", "_"): v
                                                        for k, v in reps.items()})  # fmt: skip
        click.echo(f"wrote cell embeddings to {out}")
    if label:
        reps["PCA (expression)"] = genept_cells.pca(adata.X)
        echo_rows(genept_cells.evaluate(reps, adata.obs[label].astype(str).tolist()), fmt)
