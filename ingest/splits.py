"""Train/val/test splits of a Perturb-seq data set, and the co-expression graph of each split.

Two split kinds, both seeded and saved as ``<dataset dir>/splits/<name>.json`` (reusable by name,
never silently overwritten):

* ``simulation`` — GEARS's split: a fraction (``train_gene_set_size``) of the perturbed genes is
  "seen"; singles of unseen genes (``unseen_single``), doubles with one seen gene
  (``combo_seen1``) and with none (``combo_seen0``) go to test, and a share of the doubles with
  both genes seen (``combo_seen2``, 1 − ``combo_seen2_train_frac``) too. Val is drawn from train
  the same way (0.9 / 0.9), and the control is in train. The random draws follow GEARS's
  procedure (``numpy.random.RandomState(seed)``, sorted gene lists).
* ``double`` — Ahlmann-Eltze et al. 2025: all singles and half the doubles in train; the other
  doubles are test, except a ``val_fraction`` of them.
* ``custom`` — the test and val conditions named by the user; everything else trains.

:func:`benchmark_splits` makes the random partitions of ``priorgraph benchmark``: protocol
``doubles`` (each fold an independent Ahlmann-Eltze partition: control + every single + half the
doubles train, the other half test, grouped by how many of a double's singles are measured) and
``unseen-singles`` (the singles in ``folds`` disjoint groups; each fold tests one group, training
on the other singles and every double that contains none of the held-out genes).

The co-expression graph follows GEARS: Pearson r between genes over the cells of the training
control and training single perturbations only, each gene keeps its top k+1 = 21 partners by |r|
(itself included) with |r| > 0.4, stored as ``(:Gene)-[:COEXPRESSED {rho, rank, dataset,
split}]->(:Gene)`` (source = partner, target = the gene). Test and val cells never enter it.
The :class:`~priorgraph.core.splits.Split` itself is the shared data model; its co-expression
graph is exported by :func:`priorgraph.queries.export_coexpression.coexpression_export`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from priorgraph.core.errors import UsageError
from priorgraph.core.names import check_name
from priorgraph.core.splits import Split
from priorgraph.core.utils import dense
from priorgraph.ingest.perturbseq import DatasetRecord, PerturbSeqCells, dataset_dir
from priorgraph.kg import ids
from priorgraph.kg.bulk import BulkWriter
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts

KINDS = ("simulation", "double", "custom")
PROTOCOLS = ("doubles", "unseen-singles")


def splits_dir(dataset: str, store: str | Path | None = None) -> Path:
    return dataset_dir(dataset, store) / "splits"


def load_split(dataset: str, name: str, store: str | Path | None = None) -> Split:
    return Split.load(splits_dir(dataset, store) / f"{check_name(name, what='split')}.json")


def list_splits(dataset: str, store: str | Path | None = None) -> list[Split]:
    directory = splits_dir(dataset, store)
    return [Split.load(p) for p in sorted(directory.glob("*.json"))] if directory.is_dir() else []


# --- split procedures -----------------------------------------------------------------------


def _genes_of(conditions: Sequence[str], sep: str, control: str) -> np.ndarray:
    return np.unique([g for c in conditions for g in c.split(sep) if g != control])


def _is_single(condition: str, sep: str, control: str) -> bool:
    return len([g for g in condition.split(sep) if g != control]) == 1


def _simulation(
    conditions: Sequence[str],
    train_gene_set_size: float,
    combo_seen2_train_frac: float,
    seed: int,
    sep: str,
    control: str,
) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """One round of GEARS's simulation split: (train, test, test subgroups)."""
    genes = _genes_of(conditions, sep, control)
    rng = np.random.RandomState(seed)
    seen = set(rng.choice(genes, int(len(genes) * train_gene_set_size), replace=False).tolist())
    singles = [c for c in conditions if _is_single(c, sep, control)]
    combos = [c for c in conditions if not _is_single(c, sep, control)]

    def n_seen(c: str) -> int:
        return sum(g in seen for g in c.split(sep) if g != control)

    single_train = sorted(c for c in singles if n_seen(c) == 1)
    unseen_single = sorted(c for c in singles if n_seen(c) == 0)
    combo_seen0 = sorted(c for c in combos if n_seen(c) == 0)
    combo_seen1 = sorted(c for c in combos if n_seen(c) == 1)
    both_seen = np.array(sorted(c for c in combos if n_seen(c) == 2), dtype=object)
    rng = np.random.RandomState(seed)
    n_train = int(len(both_seen) * combo_seen2_train_frac)
    combo_train = sorted(rng.choice(both_seen, n_train, replace=False).tolist()) if n_train else []
    combo_seen2 = sorted(set(both_seen.tolist()) - set(combo_train))
    subgroups = {
        "unseen_single": unseen_single,
        "combo_seen0": combo_seen0,
        "combo_seen1": combo_seen1,
        "combo_seen2": combo_seen2,
    }
    test = unseen_single + combo_seen0 + combo_seen1 + combo_seen2
    return single_train + combo_train, test, subgroups


def simulation_split(
    name: str,
    dataset: str,
    conditions: Sequence[str],
    *,
    seed: int = 1,
    train_gene_set_size: float = 0.75,
    combo_seen2_train_frac: float = 0.75,
    separator: str = "+",
    control: str = "ctrl",
) -> Split:
    """GEARS ``simulation`` split of the perturbed ``conditions`` (see the module doc)."""
    perts = sorted(c for c in conditions if c != control)
    if len(_genes_of(perts, separator, control)) < 2:
        raise UsageError(f"{dataset}: a simulation split needs at least two perturbed genes")
    train, test, subgroups = _simulation(
        perts, train_gene_set_size, combo_seen2_train_frac, seed, separator, control
    )
    train, val, val_subgroups = _simulation(train, 0.9, 0.9, seed, separator, control)
    return Split(
        name=name, dataset=dataset, kind="simulation", seed=seed,
        train=sorted([*train, control]), val=sorted(val), test=sorted(test),
        subgroups=subgroups, val_subgroups=val_subgroups,
        params={"train_gene_set_size": train_gene_set_size,
                "combo_seen2_train_frac": combo_seen2_train_frac},
    )  # fmt: skip


def double_split(
    name: str,
    dataset: str,
    conditions: Sequence[str],
    *,
    seed: int = 1,
    train_fraction: float = 0.5,
    val_fraction: float = 0.1,
    separator: str = "+",
    control: str = "ctrl",
) -> Split:
    """Ahlmann-Eltze double split: singles + ``train_fraction`` of doubles train, rest held out."""
    perts = sorted(c for c in conditions if c != control)
    singles = [c for c in perts if _is_single(c, separator, control)]
    doubles = [c for c in perts if not _is_single(c, separator, control)]
    if len(doubles) < 2:
        raise UsageError(
            f"{dataset}: a double split needs at least two double perturbations "
            f"(found {len(doubles)}); use --kind simulation"
        )
    order = np.random.RandomState(seed).permutation(len(doubles))
    shuffled = [doubles[i] for i in order]
    n_train = round(len(doubles) * train_fraction)
    held_out = shuffled[n_train:]
    n_val = int(len(held_out) * val_fraction)
    val, test = sorted(held_out[:n_val]), sorted(held_out[n_val:])
    return Split(
        name=name, dataset=dataset, kind="double", seed=seed,
        train=sorted([*singles, *shuffled[:n_train], control]), val=val, test=test,
        subgroups={"double": test}, val_subgroups={"double": val},
        params={"train_fraction": train_fraction, "val_fraction": val_fraction},
    )  # fmt: skip


def _double_subgroup(condition: str, singles: set[str], sep: str, control: str) -> str:
    """``double_both_singles`` / ``double_one_single`` / ``double_no_single``: how many of the
    double's singles are training conditions."""
    genes = [g for g in condition.split(sep) if g != control]
    measured = sum(g in singles for g in genes)
    return ("double_no_single", "double_one_single", "double_both_singles")[min(measured, 2)]


def custom_split(
    name: str,
    dataset: str,
    conditions: Sequence[str],
    *,
    test: Sequence[str],
    val: Sequence[str] = (),
    separator: str = "+",
    control: str = "ctrl",
) -> Split:
    """Test and val as named; every other condition (and the control) trains. Test conditions
    are grouped as ``single`` or by how many of a double's singles train."""
    known = set(conditions)
    unknown = sorted((set(test) | set(val)) - known)
    if unknown:
        raise UsageError(f"{dataset} has no condition {', '.join(unknown[:10])}")
    overlap = sorted(set(test) & set(val))
    if overlap or control in set(test) | set(val) or not test:
        raise UsageError("custom split: give ≥ 1 test condition, none also in val, not the control")
    held = set(test) | set(val)
    train = sorted([*(c for c in conditions if c not in held and c != control), control])
    singles = {g for c in train if _is_single(c, separator, control)
               for g in c.split(separator) if g != control}  # fmt: skip
    groups: dict[str, list[str]] = {}
    for c in sorted(test):
        group = ("single" if _is_single(c, separator, control)
                 else _double_subgroup(c, singles, separator, control))  # fmt: skip
        groups.setdefault(group, []).append(c)
    return Split(name=name, dataset=dataset, kind="custom", seed=0, train=train,
                 val=sorted(val), test=sorted(test), subgroups=groups)  # fmt: skip


def benchmark_splits(
    dataset: str,
    conditions: Sequence[str],
    *,
    protocol: str,
    folds: int = 5,
    seed: int = 0,
    separator: str = "+",
    control: str = "ctrl",
) -> list[Split]:
    """The ``folds`` partitions of ``priorgraph benchmark`` (module doc), named
    ``bench-<protocol>-s<seed>-f<fold>``."""
    if folds < 1:
        raise UsageError(f"folds must be ≥ 1, got {folds}")
    perts = sorted(c for c in conditions if c != control)
    singles = [c for c in perts if _is_single(c, separator, control)]
    doubles = [c for c in perts if not _is_single(c, separator, control)]
    name = f"bench-{protocol}-s{seed}-f{{}}"
    out = []
    if protocol == "doubles":
        if len(doubles) < 2:
            raise UsageError(f"{dataset}: the doubles protocol needs ≥ 2 doubles ({len(doubles)})")
        for fold in range(folds):
            order = np.random.RandomState(seed + fold).permutation(len(doubles))
            held = sorted(doubles[i] for i in order[round(len(doubles) / 2) :])
            split = custom_split(name.format(fold), dataset, conditions, test=held,
                                 separator=separator, control=control)  # fmt: skip
            out.append(replace(split, kind="benchmark", seed=seed,
                               params={"protocol": protocol, "fold": fold}))  # fmt: skip
        return out
    if protocol != "unseen-singles":
        raise UsageError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    if len(singles) < folds:
        raise UsageError(f"{dataset}: {len(singles)} singles cannot fill {folds} folds")
    order = np.random.RandomState(seed).permutation(len(singles))
    for fold in range(folds):
        test = sorted(singles[i] for i in order[fold::folds])
        genes = {g for c in test for g in c.split(separator) if g != control}
        leaking = {c for c in doubles if genes & set(c.split(separator))}
        kept = [c for c in conditions if c not in leaking]
        split = custom_split(name.format(fold), dataset, kept, test=test, separator=separator,
                             control=control)  # fmt: skip
        out.append(replace(split, kind="benchmark", seed=seed,
                           params={"protocol": protocol, "fold": fold,
                                   "left_out_doubles": len(leaking)}))  # fmt: skip
    return out


def make_split(
    kind: str,
    name: str,
    record: DatasetRecord,
    seed: int,
    *,
    test: Sequence[str] = (),
    val: Sequence[str] = (),
    **params: float,
) -> Split:
    """A split of an ingested data set's kept conditions (``test``/``val`` for ``custom``)."""
    cfg = record.config
    conditions = [*record.pseudobulk().conditions, cfg.control]
    common = {"separator": cfg.separator, "control": cfg.control}
    if kind == "simulation":
        return simulation_split(name, cfg.dataset, conditions, seed=seed, **common, **params)
    if kind == "double":
        return double_split(name, cfg.dataset, conditions, seed=seed, **common, **params)
    if kind == "custom":
        return custom_split(name, cfg.dataset, conditions, test=test, val=val, **common)
    raise UsageError(f"unknown split kind {kind!r}; choose one of {', '.join(KINDS)}")


# --- co-expression from training cells -----------------------------------------------------


def coexpression_cells(data: PerturbSeqCells, split: Split) -> np.ndarray:
    """Boolean mask of the cells GEARS builds co-expression from: train control + train singles."""
    cfg = data.config
    train = set(split.train)
    usable = {c for c in train if c == cfg.control or _is_single(c, cfg.separator, cfg.control)}
    labels = data.adata.obs["condition"].astype(str).to_numpy()
    return np.isin(labels, sorted(usable))


def pearson_matrix(x: np.ndarray) -> np.ndarray:
    """Gene × gene Pearson r of a cells × genes matrix; constant genes get r = 0."""
    centred = x - x.mean(axis=0)
    norms = np.sqrt((centred * centred).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (centred.T @ centred) / np.outer(norms, norms)
    return np.clip(np.nan_to_num(r), -1.0, 1.0)


def coexpression_edges(
    x: np.ndarray, genes: Sequence[str], k: int = 20, threshold: float = 0.4
) -> list[tuple[str, str, float, int]]:
    """GEARS rule: per target gene its top k+1 partners by |r| (self included), kept if |r| >
    ``threshold``. Returns ``(source, target, r, rank)`` with rank 1 = strongest."""
    r = pearson_matrix(np.asarray(x, dtype=np.float64))
    order = np.argsort(-np.abs(r), axis=1, kind="stable")[:, : k + 1]
    edges = []
    for target, partners in enumerate(order):
        for rank, source in enumerate(partners, start=1):
            if abs(r[target, source]) > threshold:
                edges.append((genes[source], genes[target], float(r[target, source]), rank))
    return edges


def build_coexpression(
    record: DatasetRecord, split: Split, *, k: int = 20, threshold: float = 0.4
) -> list[tuple[str, str, float, int]]:
    """Co-expression edges of one split, from the data set's training cells only."""
    return coexpression_from_data(record.cells(), split, k=k, threshold=threshold)


def coexpression_from_data(
    data: PerturbSeqCells, split: Split, *, k: int = 20, threshold: float = 0.4
) -> list[tuple[str, str, float, int]]:
    """Co-expression edges from the cells that ``coexpression_cells`` selects, and no other."""
    mask = coexpression_cells(data, split)
    x = dense(data.adata.X[mask])
    return coexpression_edges(x, list(data.adata.var_names), k=k, threshold=threshold)


def write_coexpression(
    graph: Graph | None,
    record: DatasetRecord,
    split: Split,
    edges: Sequence[tuple[str, str, float, int]],
    *,
    progress: bool = True,
    writer: BatchWriter | BulkWriter | None = None,
) -> WriteCounts:
    """Replace the split's COEXPRESSED edges: all written in one transaction, then switched to
    in one step (``BatchWriter.replace_relationships``). ``writer``: where the rows go instead
    of ``graph`` (``priorgraph build``'s :class:`~priorgraph.kg.bulk.BulkWriter`)."""
    species = record.config.species
    rows = [
        {"start": ids.gene_id(s, species), "end": ids.gene_id(t, species), "rho": rho,
         "rank": rank}
        for s, t, rho, rank in edges
    ]  # fmt: skip
    provenance = Provenance(f"coexpression.{split.dataset}", split.name)
    if writer is None:
        writer = BatchWriter(graph, provenance, progress=progress)
    writer.provenance = provenance
    with writer.transaction():
        return writer.replace_relationships(
            "COEXPRESSED", rows, start=("Gene", "id"), end=("Gene", "id"),
            scope={"dataset": split.dataset, "split": split.name},
        )  # fmt: skip
