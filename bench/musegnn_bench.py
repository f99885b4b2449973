"""Gene embeddings vs GO function: AUROC of GO-sharing gene pairs against random pairs.

Data sets (the real mirror, ``PRIORGRAPH_DATA_DIR``, default ../shared/data): Papalexi 2021 THP-1
(all 20,729 cells, 299 genes, counts → log-normalised) and pbmc68k_reduced (``.raw``
log-normalised) split into myeloid (Dendritic, CD14+ Monocyte, CD34+) and lymphoid cells, 500 HVGs
each. Co-expression: Pearson, top 20 partners, |r| > 0.05 (Papalexi: sparse counts, the top
partners have |r| ≈ 0.04–0.17) and |r| > 0.2 (pbmc).

Positives: pairs of evaluated genes (graph genes with a GO annotation) with GO Jaccard > 0.1;
negatives: as many random pairs with Jaccard ≤ 0.1 (seeded). Score: cosine of the embeddings.
Every method is scored on the pairs it covers and on two common subsets. Run:
``PRIORGRAPH_DATA_DIR=../shared/data .venv/bin/python bench/musegnn_bench.py``.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Callable

import anndata
import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score

from priorgraph.ingest import coexpression, embed, genept
from priorgraph.ingest import sources as registry
from priorgraph.models import musegnn
from priorgraph.queries import export_coexpression

Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]  # gene rows i, j → score (NaN: none)


def load_datasets() -> dict[str, tuple[anndata.AnnData, bool, np.ndarray | None, float]]:
    """name → (AnnData, use_raw, cell mask, |r| threshold)."""
    pap = anndata.read_h5ad(registry.data_dir() / "perturb/papalexi2021_thp1_ko.h5ad")
    pbmc = anndata.read_h5ad(registry.data_dir() / "scrna/pbmc68k_reduced.h5ad")
    labels = pbmc.obs["bulk_labels"].astype(str)
    myeloid = labels.isin(["Dendritic", "CD14+ Monocyte", "CD34+"]).to_numpy()
    return {
        "papalexi_thp1": (pap, False, None, 0.05),
        "pbmc_myeloid": (pbmc, True, myeloid, 0.2),
        "pbmc_lymphoid": (pbmc, True, ~myeloid, 0.2),
    }


def gene_terms() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    with open(registry.data_dir() / "go/human_gene2go_2024-02-20.tsv") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            out.setdefault(row["gene"], set()).add(row["go_id"])
    return out


def go_matrix(genes: list[str], terms: dict[str, set[str]]) -> np.ndarray:
    vocab = {t: i for i, t in enumerate(sorted(set().union(*(terms[g] for g in genes))))}
    a = np.zeros((len(genes), len(vocab)), dtype=np.float64)
    for i, g in enumerate(genes):
        a[i, [vocab[t] for t in terms[g]]] = 1.0
    return a


def pairs(a: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, label): all pairs with GO Jaccard > 0.1 and as many random pairs without."""
    inter = a @ a.T
    size = a.sum(1)
    jac = inter / (size[:, None] + size[None, :] - inter)
    iu, ju = np.triu_indices(len(a), 1)
    pos = jac[iu, ju] > 0.1
    rng = np.random.default_rng(seed)
    neg = rng.choice(np.flatnonzero(~pos), size=int(pos.sum()), replace=False)
    i = np.concatenate([iu[pos], iu[neg]])
    j = np.concatenate([ju[pos], ju[neg]])
    return i, j, np.concatenate([np.ones(pos.sum()), np.zeros(len(neg))])


def cosine_scorer(vectors: dict[str, np.ndarray], genes: list[str]) -> Scorer:
    dim = len(next(iter(vectors.values())))
    m = np.full((len(genes), dim), np.nan)
    for k, g in enumerate(genes):
        if g in vectors:
            m[k] = vectors[g] / np.linalg.norm(vectors[g])
    return lambda i, j: (m[i] * m[j]).sum(1)


def pca_scorer(data: dict, genes: list[str], n_comps: int = 50) -> Scorer:
    """Mean over data sets containing both genes of the cosine of their PCA loadings."""
    row = {g: k for k, g in enumerate(genes)}
    total, count = np.zeros((len(genes), len(genes))), np.zeros((len(genes), len(genes)))
    for adata, use_raw, cells, _ in data.values():
        expr = coexpression.highly_variable(
            coexpression.log_expression(adata, use_raw=use_raw, cells=cells), 500
        )
        x = (expr.x - expr.x.mean(0)) / expr.x.std(0)
        pca = PCA(min(n_comps, x.shape[1] - 1), random_state=0).fit(x)
        load = pca.components_.T * np.sqrt(pca.explained_variance_)
        load /= np.linalg.norm(load, axis=1, keepdims=True)
        idx = np.array([row.get(g, -1) for g in expr.genes])
        keep = idx >= 0
        total[np.ix_(idx[keep], idx[keep])] += load[keep] @ load[keep].T
        count[np.ix_(idx[keep], idx[keep])] += 1
    with np.errstate(invalid="ignore"):
        mean = total / count
    return lambda i, j: mean[i, j]


def auroc(score: np.ndarray, label: np.ndarray, subset: np.ndarray) -> tuple[str, int]:
    ok = subset & np.isfinite(score)
    if ok.sum() < 10 or len(np.unique(label[ok])) < 2:
        return "–", int(ok.sum())
    return f"{roc_auc_score(label[ok], score[ok]):.3f}", int(ok.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = load_datasets()
    t0 = time.perf_counter()
    edges = {
        name: [(s, t, r) for s, t, r, _ in coexpression.dataset_edges(
            adata, use_raw=raw, cells=cells, n_top_genes=500, k=20, threshold=thr)]
        for name, (adata, raw, cells, thr) in data.items()
    }  # fmt: skip
    export = export_coexpression.build_multigraph(edges)
    graphs, genes = export_coexpression.graphs(export), export.node_ids["node"]
    for name, g in zip(edges, graphs, strict=True):
        print(f"{name}: {g.num_nodes} genes, {g.edge_index.shape[1]} edges")
    print(f"graphs built in {time.perf_counter() - t0:.1f} s; {len(genes)} genes in the index")

    config = musegnn.MuSeConfig(epochs=args.epochs, seed=args.seed)
    runs = {
        "MuSe-GNN-style (3 graphs)": config,
        "  ablation: λ_sim = λ_nce = 0": musegnn.MuSeConfig(
            epochs=args.epochs, seed=args.seed, lambda_sim=0.0, lambda_nce=0.0
        ),
    }
    vectors: dict[str, dict[str, np.ndarray]] = {}
    for label, cfg in runs.items():
        result = musegnn.fit(graphs, n_genes=len(genes), config=cfg)
        first, last = result.history[0]["loss"], result.history[-1]["loss"]
        print(f"{label}: {result.seconds:.1f} s, loss {first:.3f} → {last:.3f}, "
              f"mean common-gene Jaccard {result.extra['mean_jaccard']}")  # fmt: skip
        vectors[label] = {g: result.embeddings[k] for k, g in enumerate(genes)}

    terms = gene_terms()
    evaluated = [g for g in genes if terms.get(g)]
    i, j, y = pairs(go_matrix(evaluated, terms), args.seed)
    print(f"{len(evaluated)} of {len(genes)} genes GO-annotated; {int(y.sum())} GO pairs "
          f"(Jaccard > 0.1) + {int((1 - y).sum())} random pairs")  # fmt: skip

    ada = genept.load_file(
        registry.fetch("genept.ada002.adamson86"), set(evaluated), skip_unknown=True
    )
    ada_vectors = dict(zip(ada.symbols, ada.matrix, strict=True))
    texts = embed.load_summaries(registry.fetch("ensembl.table.human.109"), evaluated)
    minilm = embed.embed_texts(list(texts.values()), embed.LocalEmbedder(), embed.EmbeddingCache())
    go = go_matrix(evaluated, terms)
    scorers: dict[str, Scorer] = {
        **{k: cosine_scorer(v, evaluated) for k, v in vectors.items()},
        "PCA loadings (per data set, 50 PCs)": pca_scorer(data, evaluated),
        "GenePT ada-002 (Gene.genept, 86-gene file)": cosine_scorer(ada_vectors, evaluated),
        "GenePT-style MiniLM (Ensembl text)": cosine_scorer(
            dict(zip(texts, minilm, strict=True)), evaluated
        ),
        "GO terms (binary, reference)": cosine_scorer(
            dict(zip(evaluated, go, strict=True)), evaluated
        ),
    }
    scores = {k: f(i, j) for k, f in scorers.items()}
    within = np.isfinite(scores["PCA loadings (per data set, 50 PCs)"])
    on_ada = np.isfinite(scores["GenePT ada-002 (Gene.genept, 86-gene file)"])
    print("| embedding | AUROC, pairs it covers (n) | AUROC, pairs within one data set (n) | "
          "AUROC, pairs of ada-002 genes (n) |")  # fmt: skip
    print("|---|---|---|---|")
    everything = np.ones_like(y, dtype=bool)
    for name, s in scores.items():
        cells = [auroc(s, y, subset) for subset in (everything, within, on_ada)]
        print(f"| {name} | " + " | ".join(f"{a} ({n})" for a, n in cells) + " |")


if __name__ == "__main__":
    main()
