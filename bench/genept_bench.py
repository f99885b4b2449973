"""GenePT benchmarks: vectors stored/s, vector-index query latency, offline embedding throughput,
and the pbmc68k_reduced cell-embedding evaluation (GenePT-w, GenePT-s, PCA).

Starts a throw-away local Neo4j (own data directory, free port). Prints figures; never fails on
noise. Baseline in the same process: exact top-k by NumPy brute force over the same matrix.

    .venv/bin/python bench/genept_bench.py --genes 20000 --dim 1536 --queries 200
    .venv/bin/python bench/genept_bench.py --only-eval        # the pbmc68k table only
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from priorgraph.ingest import embed, genept
from priorgraph.ingest import sources as registry
from priorgraph.kg import cypher
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import apply_schema, get_kind
from priorgraph.kg.server import temporary_server
from priorgraph.kg.writer import Provenance
from priorgraph.queries.features import search_width


def bench_graph(n_genes: int, dim: int, n_queries: int, k: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(n_genes, dim)).astype(np.float32)
    symbols = [f"G{i}" for i in range(n_genes)]
    table = genept.EmbeddingTable("random", symbols, matrix, "random-normal")
    with temporary_server(heap="1g", pagecache="512m") as server, Graph(server.settings()) as graph:
        apply_schema(graph)
        t0 = time.perf_counter()
        genept.store(graph, table, Provenance("bench", "1"), progress=False)
        stored_s = time.perf_counter() - t0
        print(f"store: {n_genes} × {dim} vectors in {stored_s:.1f} s "
              f"= {n_genes / stored_s:,.0f} vectors/s")  # fmt: skip
        spec = get_kind("genept")
        cypher.run(graph, "genept_await_index", index=spec.index)
        picks = rng.choice(n_genes, size=n_queries, replace=False)
        query = cypher.load("genept_similar")
        params = {**spec.params(), "candidates": search_width(k)}
        for i in picks[:10]:  # warm-up
            graph.read(query, {"gene_id": f"human:G{i}", "k": k, **params})
        lat, hits = [], []
        for i in picks:
            t = time.perf_counter()
            rows = graph.read(query, {"gene_id": f"human:G{i}", "k": k, **params})
            lat.append((time.perf_counter() - t) * 1e3)
            hits.append({r["id"] for r in rows})
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    t = time.perf_counter()
    recall = []
    for i, got in zip(picks, hits, strict=True):
        sims = unit @ unit[i]
        sims[i] = -np.inf
        exact = {f"human:G{j}" for j in np.argpartition(-sims, k)[:k]}
        recall.append(len(exact & got) / k)
    brute_ms = (time.perf_counter() - t) * 1e3 / n_queries
    p50, p95 = np.percentile(lat, [50, 95])
    print(f"similar-genes k={k} over {n_genes} genes ({n_queries} queries, Bolt round trip): "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (target ≤ 20 ms); recall@{k} vs exact "
          f"{np.mean(recall):.3f}; NumPy brute force {brute_ms:.1f} ms/query "
          f"(in-process, no I/O)")  # fmt: skip


def bench_offline(n_texts: int) -> None:
    texts = list(embed.load_summaries(registry.fetch("ensembl.table.human.109")).values())[:n_texts]
    embedder = embed.LocalEmbedder()
    embedder.embed_batch(texts[:8])  # load the model outside the timing
    t = time.perf_counter()
    embed.embed_texts(texts, embedder, None, progress=False)
    dt = time.perf_counter() - t
    print(f"offline {embed.LOCAL_MODEL}: {len(texts)} Ensembl descriptions in {dt:.1f} s "
          f"= {len(texts) / dt:,.0f} texts/s (CPU)")  # fmt: skip


def eval_pbmc(seed: int = 0) -> None:
    import anndata

    from priorgraph.models import genept_cells

    adata = anndata.read_h5ad(registry.fetch("scrna.pbmc68k_reduced"))
    raw, genes = adata.raw.X, [str(g) for g in adata.raw.var_names]
    texts = embed.load_summaries(registry.fetch("ensembl.table.human.109"), genes)
    cache = embed.EmbeddingCache()
    embedder = embed.LocalEmbedder()
    symbols = list(texts)
    vectors = dict(zip(symbols, embed.embed_texts(list(texts.values()), embedder, cache),
                       strict=True))  # fmt: skip
    print(f"pbmc68k_reduced: {adata.n_obs} cells, {len(genes)} genes, {len(vectors)} with an "
          f"Ensembl description embedded by {embed.LOCAL_MODEL}")  # fmt: skip
    sentences = genept_cells.genept_s(raw, genes, embedder, cache, top_n=100)
    reps = {
        "GenePT-w (MiniLM, Ensembl text)": genept_cells.genept_w(raw, genes, vectors),
        "GenePT-s (MiniLM, top 100 genes)": sentences,
        "PCA 50 (scaled X)": genept_cells.pca(adata.X, 50, seed),
    }
    labels = adata.obs["bulk_labels"].astype(str).tolist()
    print("| representation | dim | kNN accuracy (k=10, 5-fold) | k-means ARI | k-means AMI |")
    print("|---|---|---|---|---|")
    for r in genept_cells.evaluate(reps, labels, seed=seed):
        print(f"| {r['representation']} | {r['dim']} | {r['knn_accuracy']:.3f} | "
              f"{r['kmeans_ari']:.3f} | {r['kmeans_ami']:.3f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=1536)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--only-eval", action="store_true")
    args = parser.parse_args()
    if not args.only_eval:
        bench_graph(args.genes, args.dim, args.queries, args.k)
        bench_offline(args.texts)
    eval_pbmc()


if __name__ == "__main__":
    main()
