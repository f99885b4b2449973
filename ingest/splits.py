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

The co-expression graph follows GEARS: Pearson r between genes over the cells of the training
control and training single perturbations only, each gene keeps its top k+1 = 21 partners by |r|
(itself included) with |r| > 0.4, stored as ``(:Gene)-[:COEXPRESSED {rho, rank, dataset,
split}]->(:Gene)`` (source = partner, target = the gene). Test and val cells never enter it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from priorgraph import queries
from priorgraph.ingest.perturbseq import DatasetRecord, PerturbData, dataset_dir
from priorgraph.kg import ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts
from priorgraph.queries.export import HOMOGENEOUS, Export

KINDS = ("simulation", "double")


@dataclass
class Split:
    """Condition lists of one split; ``subgroups`` name the test conditions by kind."""

    name: str
    dataset: str
    kind: str
    seed: int
    train: list[str]
    val: list[str]
    test: list[str]
    subgroups: dict[str, list[str]] = field(default_factory=dict)
    val_subgroups: dict[str, list[str]] = field(default_factory=dict)
    params: dict[str, float] = field(default_factory=dict)

    def assignment(self) -> dict[str, str]:
        """Condition → ``train`` / ``val`` / ``test``."""
        out = {c: "train" for c in self.train}
        out.update({c: "val" for c in self.val})
        out.update({c: "test" for c in self.test})
        return out

    def subgroup_of(self) -> dict[str, str]:
        """Test condition → its subgroup."""
        return {c: g for g, conds in self.subgroups.items() for c in conds}

    def save(self, directory: Path, *, overwrite: bool = False) -> Path:
        """Write ``<directory>/<name>.json``; refuse to replace a different split of that name."""
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / f"{self.name}.json"
        text = json.dumps(asdict(self), indent=2, sort_keys=True)
        if target.is_file() and not overwrite and target.read_text() != text:
            raise ValueError(
                f"{target}: a different split named {self.name!r} exists (choose another name)"
            )
        target.write_text(text)
        return target

    @classmethod
    def load(cls, path: Path) -> Split:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such split")
        return cls(**json.loads(path.read_text()))


def splits_dir(dataset: str, store: str | Path | None = None) -> Path:
    return dataset_dir(dataset, store) / "splits"


def load_split(dataset: str, name: str, store: str | Path | None = None) -> Split:
    return Split.load(splits_dir(dataset, store) / f"{name}.json")


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
        raise ValueError(f"{dataset}: a simulation split needs at least two perturbed genes")
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
        raise ValueError(
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


def make_split(kind: str, name: str, record: DatasetRecord, seed: int, **params: float) -> Split:
    """A split of an ingested data set's kept conditions."""
    cfg = record.config
    conditions = record.pseudobulk().conditions
    common = {"seed": seed, "separator": cfg.separator, "control": cfg.control}
    if kind == "simulation":
        return simulation_split(name, cfg.dataset, conditions, **common, **params)
    if kind == "double":
        return double_split(name, cfg.dataset, conditions, **common, **params)
    raise ValueError(f"unknown split kind {kind!r}; choose one of {KINDS}")


# --- co-expression from training cells -----------------------------------------------------


def coexpression_cells(data: PerturbData, split: Split) -> np.ndarray:
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
    data: PerturbData, split: Split, *, k: int = 20, threshold: float = 0.4
) -> list[tuple[str, str, float, int]]:
    """Co-expression edges from the cells that ``coexpression_cells`` selects, and no other."""
    mask = coexpression_cells(data, split)
    x = data.adata.X[mask]
    dense = x.toarray() if hasattr(x, "toarray") else np.asarray(x)
    return coexpression_edges(dense, list(data.adata.var_names), k=k, threshold=threshold)


def write_coexpression(
    graph: Graph,
    record: DatasetRecord,
    split: Split,
    edges: Sequence[tuple[str, str, float, int]],
    *,
    progress: bool = True,
) -> WriteCounts:
    """Replace the split's COEXPRESSED edges (delete, then write all in one transaction)."""
    species = record.config.species
    rows = [
        {"start": ids.gene_id(s, species), "end": ids.gene_id(t, species), "rho": rho,
         "rank": rank}
        for s, t, rho, rank in edges
    ]  # fmt: skip
    writer = BatchWriter(
        graph, Provenance(f"coexpression.{split.dataset}", split.name), progress=progress
    )
    with writer.transaction():
        return writer.replace_relationships(
            "COEXPRESSED", rows, start=("Gene", "id"), end=("Gene", "id"),
            scope={"dataset": split.dataset, "split": split.name},
        )  # fmt: skip


def coexpression_export(graph: Graph, dataset: str, split: str) -> Export:
    """The split's co-expression graph as a PyG ``Data`` (edge_index source→target, edge_weight
    = |r|, edge_attr = signed r) with its node-id map and content hash."""
    rows = queries.run(graph, "coexpression_edges", dataset=dataset, split=split)
    if not rows:
        raise ValueError(f"no COEXPRESSED edges for data set {dataset!r}, split {split!r}")
    node_ids = sorted({r["source"] for r in rows} | {r["target"] for r in rows})
    index = {n: i for i, n in enumerate(node_ids)}
    edge_index = torch.tensor(
        [[index[r["source"]] for r in rows], [index[r["target"]] for r in rows]], dtype=torch.long
    )
    rho = torch.tensor([r["rho"] for r in rows], dtype=torch.float32)
    data = Data(
        edge_index=edge_index, edge_weight=rho.abs(), edge_attr=rho, num_nodes=len(node_ids)
    )
    return Export(
        data, {HOMOGENEOUS: node_ids}, {"graph": "coexpression", "dataset": dataset, "split": split}
    )
