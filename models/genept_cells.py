"""GenePT cell embeddings (Chen & Zou) and their evaluation against cell-type labels.

* GenePT-w: the expression-weighted mean of the cell's gene embeddings, unit-normalised:
  e_c = u_c / ‖u_c‖ with u_c = Σ_g x_cg v_g / Σ_g x_cg over the genes g that have an embedding
  v_g (x: non-negative, e.g. log-normalised expression). A cell expressing none of them gets 0.
* GenePT-s: the text embedding of the cell's "sentence", its expressed genes ordered by
  decreasing expression (ties by symbol), optionally the top n.
* Evaluation, each representation next to PCA of the expression matrix in the same run:
  k-nearest-neighbour accuracy (cosine, stratified k-fold cross-validation) and the adjusted
  Rand / adjusted mutual information of k-means (one cluster per label) against the labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from priorgraph.core.errors import UsageError
from priorgraph.core.utils import dense
from priorgraph.ingest.embed import Embedder, EmbeddingCache, embed_texts


def genept_w(x, var_names: Sequence[str], gene_vectors: Mapping[str, np.ndarray]) -> np.ndarray:
    """GenePT-w cell embeddings (cells × dim); see the module docstring for the formula."""
    cols = [i for i, g in enumerate(var_names) if g in gene_vectors]
    if not cols:
        raise UsageError("no gene of the expression matrix has an embedding")
    weights = dense(x[:, cols])
    if (weights < 0).any():
        raise UsageError("GenePT-w needs non-negative expression (use counts or log-normalised)")
    v = np.stack([gene_vectors[var_names[i]] for i in cols]).astype(np.float64)
    total = weights.sum(axis=1, keepdims=True)
    u = np.divide(weights @ v, total, out=np.zeros((weights.shape[0], v.shape[1])),
                  where=total > 0)  # fmt: skip
    norm = np.linalg.norm(u, axis=1, keepdims=True)
    return np.divide(u, norm, out=np.zeros_like(u), where=norm > 0).astype(np.float32)


def gene_sentences(x, var_names: Sequence[str], top_n: int | None = None) -> list[str]:
    """Per cell: its expressed genes by decreasing expression, joined by spaces."""
    values = dense(x)
    names = np.asarray(var_names)
    out = []
    for row in values:
        expressed = np.flatnonzero(row > 0)
        order = sorted(expressed, key=lambda j: (-row[j], names[j]))
        out.append(" ".join(names[order[:top_n] if top_n else order]))
    return out


def genept_s(
    x,
    var_names: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    top_n: int | None = None,
    progress: bool = True,
) -> np.ndarray:
    """GenePT-s cell embeddings: the embedder's vectors of the cells' gene sentences."""
    return embed_texts(gene_sentences(x, var_names, top_n), embedder, cache, progress=progress)


def pca(x, n_components: int = 50, seed: int = 0) -> np.ndarray:
    """PCA of the expression matrix (the baseline representation)."""
    values = dense(x)
    n = min(n_components, values.shape[0] - 1, values.shape[1])
    return PCA(n_components=n, random_state=seed).fit_transform(values).astype(np.float32)


def evaluate(
    representations: Mapping[str, np.ndarray],
    labels: Sequence[str],
    *,
    k: int = 10,
    folds: int = 5,
    seed: int = 0,
) -> list[dict[str, float | str | int]]:
    """One row per representation: kNN accuracy (mean over folds), k-means ARI and AMI."""
    y = np.asarray(labels)
    n_types = len(np.unique(y))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    rows = []
    for name, z in representations.items():
        knn = KNeighborsClassifier(n_neighbors=k, metric="cosine")
        accuracy = cross_val_score(knn, z, y, cv=cv, scoring="accuracy").mean()
        clusters = KMeans(n_clusters=n_types, n_init=10, random_state=seed).fit_predict(z)
        rows.append({
            "representation": name, "dim": int(z.shape[1]),
            "knn_accuracy": round(float(accuracy), 4),
            "kmeans_ari": round(float(adjusted_rand_score(y, clusters)), 4),
            "kmeans_ami": round(float(adjusted_mutual_info_score(y, clusters)), 4),
        })  # fmt: skip
    return rows
