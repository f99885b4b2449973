"""MuSe-GNN commands: ``ingest coexpression`` (one data set's graph) and ``train-musegnn``
(unified gene embeddings from several graphs, written back as ``Gene.musegnn``).

``similar-genes GENE --kind musegnn`` then searches them through the ``gene_musegnn`` index.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from priorgraph.commands.common import open_graph
from priorgraph.commands.gene_names import GENE_REFERENCE, echo_names, load_resolver
from priorgraph.core.datafiles import read_h5ad
from priorgraph.ingest import coexpression
from priorgraph.ingest.embed import write_npz
from priorgraph.kg import ids as kg_ids
from priorgraph.models import musegnn, writeback
from priorgraph.queries import export_coexpression
from priorgraph.queries.export import HOMOGENEOUS

SPECIES = click.option("--species", default=kg_ids.DEFAULT_SPECIES, show_default=True)


@click.command("coexpression")
@click.argument("h5ad", type=click.Path(exists=True, dir_okay=False))
@click.option("--dataset", required=True, help="Name of the data set's graph.")
@click.option("--use-raw", is_flag=True, help="Expression from .raw (e.g. log-normalised).")
@click.option("--obs-key", help="Keep only cells whose obs[KEY] is one of --obs-value.")
@click.option("--obs-value", multiple=True, help="Value(s) of --obs-key to keep (repeatable).")
@click.option("--n-top-genes", type=int, default=2000, show_default=True)
@click.option("-k", "k", type=int, default=20, show_default=True, help="Partners per gene.")
@click.option("--threshold", type=float, default=0.4, show_default=True, help="Minimum |r|.")
@SPECIES
@GENE_REFERENCE
def ingest_coexpression(h5ad, dataset, use_raw, obs_key, obs_value, n_top_genes, k, threshold,
                        species, gene_reference) -> None:  # fmt: skip
    """Store a data set's co-expression graph as COEXPRESSED {rho, dataset, split: 'all'}.

    var names are resolved to approved symbols (unknown ones kept as given, and listed)."""
    adata = read_h5ad(h5ad)
    cells = coexpression.select_cells(adata, obs_key, obs_value)
    with open_graph() as graph:
        resolver = load_resolver(graph, species, gene_reference)
        echo_names(coexpression.resolve_var_names(adata, resolver, what=h5ad))
        edges = coexpression.dataset_edges(
            adata, use_raw=use_raw, cells=cells, n_top_genes=n_top_genes, k=k, threshold=threshold
        )
        counts = coexpression.write_dataset_coexpression(graph, dataset, edges, species=species,
                                                         version=Path(h5ad).name)  # fmt: skip
    genes = len({g for s, t, _, _ in edges for g in (s, t)})
    click.echo(f"{dataset}: {len(edges)} COEXPRESSED edges over {genes} genes "
               f"({counts['Gene'].nodes_created} new genes)")  # fmt: skip


@click.command("train-musegnn")
@click.option("--datasets", required=True, help="Comma-separated data set names (≥ 1).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for graphs.pt (+ .ids.tsv), musegnn.npz and run.json.")  # fmt: skip
@click.option("--epochs", type=int, default=musegnn.MuSeConfig.epochs, show_default=True)
@click.option("--dim", type=int, default=musegnn.MuSeConfig.dim, show_default=True)
@click.option("--hidden", type=int, default=musegnn.MuSeConfig.hidden, show_default=True)
@click.option("--heads", type=int, default=musegnn.MuSeConfig.heads, show_default=True)
@click.option("--layers", type=int, default=musegnn.MuSeConfig.layers, show_default=True)
@click.option("--lr", type=float, default=musegnn.MuSeConfig.lr, show_default=True)
@click.option("--lambda-sim", type=float, default=musegnn.MuSeConfig.lambda_sim,
              show_default=True)  # fmt: skip
@click.option("--lambda-nce", type=float, default=musegnn.MuSeConfig.lambda_nce,
              show_default=True)  # fmt: skip
@click.option("--tau", type=float, default=musegnn.MuSeConfig.tau, show_default=True)
@click.option("--val-fraction", type=click.FloatRange(0, 1, max_open=True),
              default=musegnn.MuSeConfig.val_fraction, show_default=True,
              help="Share of each graph's edges held out and scored (AUC).")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--threads", type=int, default=1, show_default=True, help="torch CPU threads.")
@click.option("--device", help="cpu / cuda (default: cuda when available).")
@click.option("--store/--no-store", default=True, show_default=True,
              help="Write Gene.musegnn + its vector index.")  # fmt: skip
@SPECIES
def train_musegnn(datasets, out, epochs, dim, hidden, heads, layers, lr, lambda_sim, lambda_nce,
                  tau, val_fraction, seed, threads, device, store, species) -> None:  # fmt: skip
    """Train MuSe-GNN-style gene embeddings on the stored co-expression graphs of DATASETS."""
    names = [d.strip() for d in datasets.split(",") if d.strip()]
    config = musegnn.MuSeConfig(hidden=hidden, dim=dim, heads=heads, layers=layers, lr=lr,
                                epochs=epochs, lambda_sim=lambda_sim, lambda_nce=lambda_nce,
                                tau=tau, val_fraction=val_fraction, seed=seed, threads=threads,
                                device=device)  # fmt: skip
    with open_graph() as graph:
        export = export_coexpression.multigraph_export(graph, names)
        result = musegnn.fit(export_coexpression.graphs(export),
                             n_genes=len(export.node_ids[HOMOGENEOUS]), config=config)  # fmt: skip
        stored = writeback.write_musegnn(graph, export, result, species=species) if store else None
    out.mkdir(parents=True, exist_ok=True)
    export.save(out / "graphs.pt")
    node_ids = export.node_ids[HOMOGENEOUS]
    keep = np.flatnonzero(result.present)
    write_npz(out / "musegnn.npz", [node_ids[i].split(":", 1)[1] for i in keep],
              result.embeddings[keep], "musegnn")  # fmt: skip
    summary = {"datasets": names, "graphs_hash": export.content_hash, **result.summary()}
    (out / "run.json").write_text(json.dumps(summary, indent=2, default=str))
    first, last = result.history[0], result.history[-1]
    terms = ", ".join(f"{k} {last[k]:.3f}" for k in ("rec", "sim", "nce"))
    click.echo(f"trained on {len(names)} graph(s), {int(result.present.sum())} genes, "
               f"{config.epochs} epochs in {result.seconds:.1f} s on {result.extra['device']}: "
               f"loss {first['loss']:.3f} → {last['loss']:.3f} ({terms})")  # fmt: skip
    click.echo(f"held-out edges: {result.extra['heldout_edges']}, reconstruction AUC "
               f"{result.extra['heldout_auc']}")  # fmt: skip
    if stored:
        click.echo(f"stored {stored.stored} musegnn vectors ({stored.dimension}-d), "
                   f"index {stored.index}")  # fmt: skip
    click.echo(f"wrote {out}/graphs.pt, musegnn.npz, run.json")
