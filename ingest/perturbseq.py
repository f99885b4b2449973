"""Perturb-seq data sets: h5ad → normalised pseudobulk + GEARS-style DE sets → graph.

Reading (``read_perturbseq``) checks everything before anything is written:

* ``obs[<condition column>]`` holds GEARS labels: the control (``ctrl``), singles ``A+ctrl`` and
  doubles ``A+B`` (column, separator and control label are configurable);
* ``var`` (or a ``var`` column) holds unique gene symbols;
* ``X`` (or a layer) holds raw counts or log-normalised values. Raw counts are normalised the
  usual way, ``x' = log1p(1e4 · x / Σ_cell x)``, and the Dataset node says which it was.

``compute_pseudobulk`` then builds, per condition kept (≥ ``min_cells`` cells), the mean
expression, the DE ranking against control the GEARS way (scanpy ``rank_genes_groups``, t-test,
``rankby_abs=True``, all genes ranked), its non-zero and non-dropout gene sets (GEARS:
non-zero = mean ≠ 0 in the condition; non-dropout = non-zero ∪ genes zero in both condition and
control) and the vs-rest t-scores that the DEG-weighted metrics of Mejia et al. 2025 use.
The matrices (:class:`~priorgraph.core.pseudobulk.Pseudobulk`) go to ``pseudobulk.npz``
(content-hashed); the graph gets ``(:Dataset)``,
``(:Perturbation)-[:TARGETS]->(:Gene)`` and ``(:Perturbation)-[:OBSERVED_EFFECT {delta, de_rank,
non_dropout}]->(:Gene)`` for the union of the top-N DE and top-N non-dropout DE genes.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
from scipy import sparse

from priorgraph.core.config import home_dir
from priorgraph.core.datafiles import read_h5ad
from priorgraph.core.errors import PerturbSeqError
from priorgraph.core.names import check_name
from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.core.utils import dense, progress_step, read_json
from priorgraph.ingest.gene_resolution import (
    GeneNames,
    GeneResolver,
    UnknownGenes,
    describe_names,
)
from priorgraph.ingest.sources import sha256sum
from priorgraph.kg import ids
from priorgraph.kg.bulk import BulkGraph, BulkWriter
from priorgraph.kg.connection import Graph
from priorgraph.kg.existing import existing_ids
from priorgraph.kg.writer import BatchWriter, Provenance, WriteCounts

TARGET_SUM = 1e4
UNKNOWN_VIA = ("unknown", "ambiguous", "given")  # resolutions that vouch for no real gene
RAW = "raw_counts"
logger = logging.getLogger(__name__)
LOGNORM = "log_normalised"


# Control labels recognised without ``control=``: GEARS (``ctrl``), perturbench/scPerturb
# (``control``), and the usual names of non-targeting guides.
CONTROL_LABELS = ("ctrl", "control", "non-targeting", "non_targeting", "NT", "unperturbed")
_CONTROL_HINTS = ("ctrl", "control", "non", "target", "scram", "safe", "unpert", "nt")


@dataclass(frozen=True)
class PerturbSeqConfig:
    """How to read one data set: names of the obs/var columns and the label conventions.

    Labels may follow GEARS (``ctrl``, ``A+ctrl``, ``A+B``) or perturbench/scPerturb (``control``,
    ``A``, ``A+B``): a target list is the label split at ``separator`` without the control token.
    ``control=None`` finds the control label among :data:`CONTROL_LABELS`; the data set records
    the label it found. ``where`` keeps only cells whose ``obs[column] == value`` for every pair
    (one data set of a multi-data-set file, e.g. ``(("dataset", "norman19"),)``).
    """

    dataset: str
    condition_col: str = "condition"
    separator: str = "+"
    control: str | None = None
    where: tuple[tuple[str, str], ...] = ()
    gene_col: str | None = None  # var column with symbols; None: var_names
    layer: str | None = None  # layer with the expression; None: X
    species: str = "human"
    min_cells: int = 10
    n_top_de: int = 20


@dataclass
class PerturbSeqReport:
    """What reading found: kept/dropped conditions and targets that are not measured genes."""

    n_cells: int = 0
    n_genes: int = 0
    normalisation: str = ""
    n_control_cells: int = 0
    conditions: list[str] = field(default_factory=list)
    too_few_cells: dict[str, int] = field(default_factory=dict)
    unmeasured_targets: dict[str, list[str]] = field(default_factory=dict)
    new_genes: list[str] = field(default_factory=list)
    gene_names: dict[str, Any] = field(default_factory=dict)  # GeneNames.as_dict()

    def lines(self) -> list[str]:
        out = [
            f"{self.n_cells} cells x {self.n_genes} genes ({self.normalisation}); "
            f"{self.n_control_cells} control cells, {len(self.conditions)} conditions kept"
        ]
        if self.too_few_cells:
            dropped = ", ".join(f"{c} ({n})" for c, n in sorted(self.too_few_cells.items()))
            out.append(f"dropped, too few cells: {dropped}")
        if self.unmeasured_targets:
            genes = sorted({g for gs in self.unmeasured_targets.values() for g in gs})
            out.append(f"{len(genes)} targets are not measured genes: {', '.join(genes)}")
        if self.new_genes:
            out.append(f"{len(self.new_genes)} genes were not in the graph and were added")
        if any(self.gene_names.values()):
            out.append(describe_names(self.gene_names, "gene names of var and targets"))
        return out


@dataclass
class PerturbSeqCells:
    """Normalised cells of one data set, with parsed targets per condition."""

    config: PerturbSeqConfig
    path: Path
    sha256: str
    adata: ad.AnnData  # X log-normalised, obs["condition"] the labels, var_names the symbols
    normalisation: str
    targets: dict[str, tuple[str, ...]]  # condition -> target symbols (control: ())


def parse_condition(label: str, separator: str = "+", control: str = "ctrl") -> tuple[str, ...]:
    """GEARS label → targets: ``ctrl`` → (), ``A+ctrl`` → (A,), ``A+B`` → (A, B)."""
    parts = [p.strip() for p in str(label).split(separator)]
    if any(not p for p in parts):
        raise ValueError(f"empty gene name in condition {label!r} (separator {separator!r})")
    return tuple(p for p in parts if p != control)


def perturbation_panel(
    path: str | Path,
    *,
    condition_key: str = "condition",
    separator: str = "+",
    control: str | None = None,
) -> list[str]:
    """Measured genes and perturbation targets of an h5ad, sorted (read in backed mode: the
    gene panel a GO prior must cover, including targets that are not measured)."""
    adata = read_h5ad(path, error=PerturbSeqError, backed=True)
    try:
        labels = adata.obs[condition_key].astype(str).unique()
        control = control or find_control(np.asarray(labels), path, condition_key)
        targets = {t for label in labels for t in parse_condition(label, separator, control)}
        return sorted(set(map(str, adata.var_names)) | targets)
    finally:
        adata.file.close()


def detect_normalisation(x: Any, path: str | Path, matrix: str = "X") -> str:
    """``raw_counts`` (non-negative integers) or ``log_normalised``; other values are refused.

    ``path`` and ``matrix`` (``X`` or ``layer NAME``) name the data in error messages.
    """
    data = x.data if sparse.issparse(x) else np.asarray(x).ravel()
    if data.size == 0:
        raise PerturbSeqError(path, f"the expression matrix ({matrix}) is empty")
    if not np.isfinite(data).all():
        raise PerturbSeqError(path, f"the expression matrix ({matrix}) has NaN or infinite values")
    if (data < 0).any():
        raise PerturbSeqError(
            path,
            f"{matrix}: negative values (scaled or centred data); give raw counts or log1p data",
        )
    if np.array_equal(data, np.round(data)):
        return RAW
    if data.max() > 30:
        raise PerturbSeqError(
            path, f"{matrix}: non-integer values up to {data.max():.1f} look normalised but not "
            "log-transformed; give raw counts or log1p data",
        )  # fmt: skip
    return LOGNORM


def read_perturbseq(
    path: str | Path,
    config: PerturbSeqConfig,
    *,
    genes: GeneResolver | None = None,
    unknown_genes: UnknownGenes = "warn",
) -> tuple[PerturbSeqCells, PerturbSeqReport]:
    """Read and validate an h5ad, normalise raw counts, parse the condition labels.

    With ``genes``, var symbols and targets are resolved to approved symbols (previous symbols,
    aliases, Ensembl ids; condition labels stay as written); names no reference knows are kept
    as given and listed in the report (``unknown_genes="warn"``: expression matrices carry
    clone-based lncRNA names such as ``RP11-228B15.4`` that no current table has), or an error
    (``"error"``).
    """
    path = Path(path)
    if not path.is_file():
        raise PerturbSeqError(path, "no such file")
    adata = read_h5ad(path, error=PerturbSeqError)
    if config.where:
        adata = _select(adata, config.where, path)
    obs = adata.obs
    if config.condition_col not in obs.columns:
        raise PerturbSeqError(
            path,
            f"obs has no column {config.condition_col!r} "
            f"(columns: {', '.join(map(str, obs.columns))})",
        )
    if config.gene_col is not None and config.gene_col not in adata.var.columns:
        raise PerturbSeqError(path, f"var has no column {config.gene_col!r}")
    symbols = pd.Index(
        adata.var[config.gene_col].astype(str) if config.gene_col else adata.var_names.astype(str)
    )
    duplicated = sorted(set(symbols[symbols.duplicated()]))
    if duplicated:
        raise PerturbSeqError(
            path, f"{len(duplicated)} duplicated gene symbols in var, e.g. {duplicated[:5]}"
        )
    if config.layer is not None and config.layer not in adata.layers:
        raise PerturbSeqError(path, f"no layer {config.layer!r} (layers: {list(adata.layers)})")
    x = adata.layers[config.layer] if config.layer else adata.X
    x = sparse.csr_matrix(x, dtype=np.float32)
    matrix = f"layer {config.layer}" if config.layer else "X"
    normalisation = detect_normalisation(x, path, matrix)

    labels = obs[config.condition_col].astype(str).to_numpy()
    control = config.control or find_control(labels, path, config.condition_col)
    config = replace(config, control=control)
    targets: dict[str, tuple[str, ...]] = {}
    for label in pd.unique(labels):
        try:
            targets[label] = parse_condition(label, config.separator, config.control)
        except ValueError as err:
            raise PerturbSeqError(
                path, f"obs[{config.condition_col!r}]: {err} ({int((labels == label).sum())} cells)"
            ) from err
    if control not in targets:
        raise PerturbSeqError(
            path, f"no control cells: no obs[{config.condition_col!r}] == {control!r}"
            f"{_control_hint(labels)}",
        )  # fmt: skip
    names = None
    if genes is not None:
        symbols, targets, names = _resolve_names(path, symbols, targets, genes, unknown_genes)
    cells = ad.AnnData(
        X=x,
        obs=pd.DataFrame({"condition": pd.Categorical(labels)}, index=adata.obs_names.astype(str)),
        var=pd.DataFrame(index=symbols),
    )
    if normalisation == RAW:
        if (np.asarray(x.sum(axis=1)).ravel() == 0).any():
            raise PerturbSeqError(
                path, f"{matrix}: cells with zero total counts cannot be normalised"
            )
        sc.pp.normalize_total(cells, target_sum=TARGET_SUM)
        sc.pp.log1p(cells)
    report = PerturbSeqReport(
        n_cells=cells.n_obs,
        n_genes=cells.n_vars,
        normalisation=normalisation,
        n_control_cells=int((labels == config.control).sum()),
        gene_names=names.as_dict() if names is not None else {},
    )
    measured = set(symbols)
    counts = pd.Series(labels).value_counts()
    for label, genes in sorted(targets.items()):
        if label == config.control:
            continue
        if counts[label] < config.min_cells:
            report.too_few_cells[label] = int(counts[label])
            continue
        report.conditions.append(label)
        missing = [g for g in genes if g not in measured]
        if missing:
            report.unmeasured_targets[label] = missing
    if not report.conditions:
        raise PerturbSeqError(path, f"no perturbed condition has ≥ {config.min_cells} cells")
    data = PerturbSeqCells(config, path, sha256sum(path), cells, normalisation, targets)
    return data, report


def _select(adata: ad.AnnData, where: Sequence[tuple[str, str]], path: Path) -> ad.AnnData:
    """The cells whose ``obs[column] == value`` for every ``(column, value)`` of ``where``."""
    keep = np.ones(adata.n_obs, dtype=bool)
    for column, value in where:
        if column not in adata.obs.columns:
            raise PerturbSeqError(
                path, f"--where {column}={value}: obs has no column {column!r} "
                f"(columns: {', '.join(map(str, adata.obs.columns))})",
            )  # fmt: skip
        values = adata.obs[column].astype(str).to_numpy()
        if not (values == value).any():
            seen = ", ".join(sorted(set(values))[:10])
            raise PerturbSeqError(path, f"--where {column}={value}: no cell has it ({seen})")
        keep &= values == value
    if not keep.any():
        conditions = " and ".join(f"{c}={v}" for c, v in where)
        raise PerturbSeqError(path, f"--where {conditions}: no cell meets all of them")
    return adata[keep].copy()


def find_control(labels: np.ndarray, path: str | Path, column: str = "condition") -> str:
    """The control label among :data:`CONTROL_LABELS`; a one-line error naming candidates when
    there is none or more than one."""
    present = [label for label in CONTROL_LABELS if (labels == label).any()]
    if len(present) == 1:
        return present[0]
    if present:
        raise PerturbSeqError(
            path, f"obs[{column!r}] has several control-like labels ({', '.join(present)}): "
            "choose one with --control",
        )  # fmt: skip
    raise PerturbSeqError(
        path, f"no control label ({', '.join(CONTROL_LABELS)}) in obs[{column!r}]"
        f"{_control_hint(labels)}",
    )  # fmt: skip


def _control_hint(labels: np.ndarray) -> str:
    """``; looks like a control: X (pass --control X)`` or the most frequent labels."""
    counts = pd.Series(labels).value_counts()
    lower = {label: label.lower() for label in counts.index}
    alike = [label for label in counts.index  # a combination ("A+ctrl") is not a control
             if any(h in lower[label] for h in _CONTROL_HINTS) and "+" not in label]  # fmt: skip
    if alike:
        return f"; looks like a control: {alike[0]!r} (pass --control {alike[0]})"
    common = ", ".join(f"{label} ({n})" for label, n in counts.head(5).items())
    return f"; most frequent labels: {common} (pass --control LABEL)"


def _resolve_names(
    path: Path,
    symbols: pd.Index,
    targets: dict[str, tuple[str, ...]],
    genes: GeneResolver,
    unknown_genes: UnknownGenes,
) -> tuple[pd.Index, dict[str, tuple[str, ...]], GeneNames]:
    """Var symbols and targets resolved (unknown ones kept as given after the check)."""
    every = [*symbols, *(g for t in targets.values() for g in t)]
    names = genes.names(every, what=f"var and targets of {path.name}")
    names.check(unknown_genes, path=path, error=PerturbSeqError, then="kept as given")
    resolved = pd.Index([names.symbol(s) or s for s in symbols])
    if resolved.has_duplicates:
        twice = sorted(set(resolved[resolved.duplicated()]))
        raise PerturbSeqError(path, f"var names {len(twice)} gene(s) twice under old and new "
                                    f"names, e.g. {twice[:5]}")  # fmt: skip
    return resolved, {k: tuple(names.symbol(g) or g for g in t) for k, t in targets.items()}, names


# --- pseudobulk -----------------------------------------------------------------------------


def _obs(labels: np.ndarray) -> pd.DataFrame:
    index = pd.Index([str(i) for i in range(len(labels))])
    return pd.DataFrame({"condition": pd.Categorical(labels)}, index=index)


def _ranked_scores(
    cells: ad.AnnData, groups: Sequence[str], reference: str, method: str
) -> tuple[dict[str, list[str]], dict[str, np.ndarray]]:
    """scanpy ``rank_genes_groups`` with ``rankby_abs``: per group, gene order and |t| scores."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc.tl.rank_genes_groups(
            cells,
            groupby="condition",
            groups=list(groups),
            reference=reference,
            method=method,
            rankby_abs=True,
            n_genes=cells.n_vars,
            use_raw=False,
        )
    result = cells.uns.pop("rank_genes_groups")
    names = {g: [str(n) for n in result["names"][g]] for g in groups}
    scores = {g: np.nan_to_num(np.asarray(result["scores"][g], dtype=np.float64)) for g in groups}
    return names, scores


def _variance(x: Any) -> np.ndarray:
    """Per-gene variance (ddof 1; 0 for a single cell) of a cells × genes matrix."""
    n = x.shape[0]
    if n < 2:
        return np.zeros(x.shape[1])
    mean = dense(x.mean(axis=0)).ravel()
    square = dense(x.multiply(x).mean(axis=0) if sparse.issparse(x) else (x * x).mean(axis=0))
    return np.maximum(square.ravel() - mean * mean, 0.0) * n / (n - 1)


def compute_pseudobulk(data: PerturbSeqCells, report: PerturbSeqReport) -> Pseudobulk:
    """Means, GEARS DE sets and vs-rest scores of the kept conditions (see the module doc)."""
    cfg = data.config
    cells = data.adata
    kept = report.conditions
    labels = cells.obs["condition"].astype(str).to_numpy()
    genes = list(cells.var_names)
    gene_index = {g: i for i, g in enumerate(genes)}
    x = cells.X

    means = np.vstack([dense(x[labels == c].mean(axis=0)).ravel() for c in kept])
    variances = np.vstack([_variance(x[labels == c]) for c in kept])
    control_mean = dense(x[labels == cfg.control].mean(axis=0)).ravel()
    perturbed = labels != cfg.control
    perturbed_mean = dense(x[perturbed].mean(axis=0)).ravel()

    use = np.isin(labels, [*kept, cfg.control])
    subset = ad.AnnData(X=x[use], obs=_obs(labels[use]), var=cells.var)
    names, scores = _ranked_scores(subset, kept, cfg.control, "t-test")
    de_order = np.array([[gene_index[g] for g in names[c]] for c in kept], dtype=np.int64)
    de_scores = np.zeros((len(kept), len(genes)))
    for i, c in enumerate(kept):
        de_scores[i, de_order[i]] = scores[c]

    rest_scores = np.zeros_like(de_scores)
    if len(kept) > 1:
        in_kept = np.isin(labels, kept)
        rest = ad.AnnData(X=x[in_kept], obs=_obs(labels[in_kept]), var=cells.var)
        rest_names, rest_sc = _ranked_scores(rest, kept, "rest", "t-test_overestim_var")
        for i, c in enumerate(kept):
            rest_scores[i, [gene_index[g] for g in rest_names[c]]] = rest_sc[c]
    else:  # a single condition has no "rest": weight by the vs-control scores
        rest_scores = de_scores.copy()

    non_zero = means != 0
    non_dropout = non_zero | ((means == 0) & (control_mean == 0)[None, :])
    return Pseudobulk(
        dataset=cfg.dataset,
        genes=genes,
        conditions=list(kept),
        targets=[data.targets[c] for c in kept],
        means=means,
        n_cells=np.array([int((labels == c).sum()) for c in kept], dtype=np.int64),
        control_mean=control_mean,
        perturbed_mean=perturbed_mean,
        n_control=report.n_control_cells,
        de_order=de_order,
        de_scores=de_scores,
        rest_scores=rest_scores,
        non_zero=non_zero,
        non_dropout=non_dropout,
        normalisation=data.normalisation,
        variances=variances,
        control_variance=_variance(x[labels == cfg.control]),
        separator=cfg.separator,
    )


# --- files of a data set --------------------------------------------------------------------


def dataset_dir(dataset: str, store: str | Path | None = None) -> Path:
    """Where a data set's files live: ``<store or PRIORGRAPH_HOME/perturbseq>/<dataset>``."""
    check_name(dataset, what="data set")
    return (Path(store) if store is not None else home_dir() / "perturbseq") / dataset


@dataclass
class DatasetRecord:
    """``dataset.json``: how the data set was read, and the files it produced (with hashes)."""

    config: PerturbSeqConfig
    path: str
    sha256: str
    normalisation: str
    pseudobulk_path: str
    pseudobulk_sha256: str
    n_cells: int
    n_genes: int

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / "dataset.json"
        target.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))
        return target

    @classmethod
    def load(cls, directory: Path) -> DatasetRecord:
        target = directory / "dataset.json"
        if not target.is_file():
            raise PerturbSeqError(
                target, "data set not ingested (run `priorgraph ingest perturbseq`)"
            )
        raw = read_json(target, error=PerturbSeqError)
        raw["config"] = PerturbSeqConfig(
            **{**raw["config"], "where": tuple(map(tuple, raw["config"].get("where", ())))}
        )
        return cls(**raw)

    def pseudobulk(self) -> Pseudobulk:
        return Pseudobulk.load(self.pseudobulk_path, self.pseudobulk_sha256)

    def cells(self) -> PerturbSeqCells:
        """Re-read the normalised cells (checked against the recorded source hash)."""
        if sha256sum(Path(self.path)) != self.sha256:
            raise PerturbSeqError(self.path, "source file changed since it was ingested")
        return read_perturbseq(self.path, self.config)[0]


def load_dataset(dataset: str, store: str | Path | None = None) -> DatasetRecord:
    return DatasetRecord.load(dataset_dir(dataset, store))


# --- graph rows and the load ----------------------------------------------------------------


def unknown_targets(pb: Pseudobulk, missing: set[str], species: str) -> dict[str, str]:
    """Target symbol → its first condition, for targets that are not measured genes and whose
    gene id is in ``missing`` (not in the graph)."""
    measured = set(pb.genes)
    out: dict[str, str] = {}
    for condition, targets in zip(pb.conditions, pb.targets, strict=True):
        for gene in targets:
            if gene not in measured and ids.gene_id(gene, species) in missing:
                out.setdefault(gene, condition)
    return out


def graph_rows(pb: Pseudobulk, record: DatasetRecord) -> dict[str, list[dict]]:
    """Dataset, Gene, Perturbation, TARGETS and OBSERVED_EFFECT rows for the writer."""
    cfg = record.config
    species = cfg.species
    n = cfg.n_top_de
    genes = set(pb.genes) | {g for t in pb.targets for g in t}
    dataset_row = {
        "id": cfg.dataset,
        "name": cfg.dataset,
        "path": record.path,
        "sha256": record.sha256,
        "normalisation": pb.normalisation,
        "normalisation_method": (
            f"normalize_total(target_sum={TARGET_SUM:g}) + log1p"
            if pb.normalisation == RAW
            else "as given (log-normalised)"
        ),
        "condition_col": cfg.condition_col,
        "separator": cfg.separator,
        "control": cfg.control,
        "species": species,
        "min_cells": cfg.min_cells,
        "n_cells": record.n_cells,
        "n_genes": record.n_genes,
        "n_control_cells": pb.n_control,
        "n_conditions": len(pb.conditions),
        "pseudobulk_path": record.pseudobulk_path,
        "pseudobulk_sha256": record.pseudobulk_sha256,
    }
    ranks = pb.de_rank()
    deltas = pb.deltas
    perturbations, targets, effects = [], [], []
    for i, (cond, tgt) in enumerate(zip(pb.conditions, pb.targets, strict=True)):
        pid = ids.perturbation_id(cfg.dataset, cond)
        top = pb.top_de(cond, n)
        top_nd = pb.top_non_dropout_de(cond, n)
        perturbations.append(
            {
                "id": pid,
                "dataset": cfg.dataset,
                "condition": cond,
                "kind": "single" if len(tgt) == 1 else "combo",
                "targets": list(tgt),
                "n_cells": int(pb.n_cells[i]),
                "top_de": [pb.genes[j] for j in top],
                "top_non_dropout_de": [pb.genes[j] for j in top_nd],
            }
        )
        targets += [{"start": pid, "end": ids.gene_id(g, species)} for g in tgt]
        for j in sorted(set(top.tolist()) | set(top_nd.tolist()), key=lambda j: ranks[i, j]):
            effects.append(
                {
                    "start": pid,
                    "end": ids.gene_id(pb.genes[j], species),
                    "delta": float(deltas[i, j]),
                    "de_rank": int(ranks[i, j]),
                    "score": float(pb.de_scores[i, j]),
                    "non_dropout": bool(pb.non_dropout[i, j]),
                }
            )
    return {
        "Dataset": [dataset_row],
        "Gene": [
            {"id": ids.gene_id(g, species), "symbol": g, "species": species} for g in sorted(genes)
        ],
        "Perturbation": perturbations,
        "TARGETS": targets,
        "OBSERVED_EFFECT": effects,
    }


def ingest(
    graph: Graph | BulkGraph | None,
    path: str | Path,
    config: PerturbSeqConfig,
    *,
    store: str | Path | None = None,
    genes: GeneResolver | None = None,
    unknown_genes: UnknownGenes = "warn",
    progress: bool = True,
    add_unknown_genes: bool = False,
    writer: BatchWriter | BulkWriter | None = None,
) -> tuple[PerturbSeqReport, dict[str, WriteCounts]]:
    """Read, compute and save a data set, then write it to the graph in one transaction.

    ``genes`` and ``unknown_genes``: gene-name resolution, as for :func:`read_perturbseq`.

    With ``graph=None`` only the files are written (no Neo4j needed). Genes already in the graph
    keep their properties and provenance; missing measured genes are added and listed in the
    report. A perturbation target that is neither a gene of the graph nor a measured gene (a
    typo in a label, a retired symbol) is a :class:`PerturbSeqError`, checked before anything is
    written, unless ``add_unknown_genes`` creates a Gene node for it. ``graph`` may be the graph
    of a build, with its :class:`~priorgraph.kg.bulk.BulkWriter` as ``writer``
    (``priorgraph build``).
    """
    with progress_step(f"{config.dataset}: reading {Path(path).name}", enabled=progress):
        data, report = read_perturbseq(path, config, genes=genes, unknown_genes=unknown_genes)
    config = data.config  # with the control label found in the file
    with progress_step(f"{config.dataset}: pseudobulk and DE", enabled=progress):
        pb = compute_pseudobulk(data, report)
    directory = dataset_dir(config.dataset, store)
    pb_path = directory / "pseudobulk.npz"
    record = DatasetRecord(
        config=config,
        path=str(Path(path).resolve()),
        sha256=data.sha256,
        normalisation=data.normalisation,
        pseudobulk_path=str(pb_path.resolve()),
        pseudobulk_sha256=pb.content_hash(),
        n_cells=report.n_cells,
        n_genes=report.n_genes,
    )
    rows = graph_rows(pb, record)
    missing: set[str] = set()
    if graph is not None:
        gene_ids = [g["id"] for g in rows["Gene"]]
        missing = set(gene_ids) - existing_ids(graph, "Gene", gene_ids)
        unknown = unknown_targets(pb, missing, config.species)
        if genes is not None:  # a gene of the reference tables is a real gene: it may be created
            unknown = {g: c for g, c in unknown.items() if genes.resolve(g).via in UNKNOWN_VIA}
        if unknown and not add_unknown_genes:
            shown = ", ".join(f"{g} ({c})" for g, c in list(unknown.items())[:10])
            raise PerturbSeqError(
                path, f"{len(unknown)} perturbation target(s) are neither genes of the graph, "
                f"measured genes nor genes of the reference: {shown}; fix the labels, load the "
                "genes first (e.g. `ingest go`), or pass --add-unknown-genes to create them",
            )  # fmt: skip
    pb.save(pb_path)
    record.save(directory)
    logger.info("%s: %s; files in %s", config.dataset, report.lines()[0], directory)
    if graph is None:
        return report, {}
    new_genes = [g for g in rows["Gene"] if g["id"] in missing]
    report.new_genes = [g["symbol"] for g in new_genes]
    provenance = Provenance(f"perturbseq.{config.dataset}", data.sha256[:12])
    if writer is None:
        writer = BatchWriter(graph, provenance, progress=progress)
    writer.provenance = provenance
    counts: dict[str, WriteCounts] = {}
    with writer.transaction():
        counts["Dataset"] = writer.merge_nodes("Dataset", rows["Dataset"])
        counts["Gene"] = writer.merge_nodes("Gene", new_genes)
        counts["Perturbation"] = writer.merge_nodes("Perturbation", rows["Perturbation"])
        perturbation = ("Perturbation", "id")
        counts["TARGETS"] = writer.merge_relationships(
            "TARGETS", rows["TARGETS"], start=perturbation, end=("Gene", "id")
        )
        counts["OBSERVED_EFFECT"] = writer.merge_relationships(
            "OBSERVED_EFFECT", rows["OBSERVED_EFFECT"], start=perturbation, end=("Gene", "id"),
            total=len(rows["OBSERVED_EFFECT"]),
        )  # fmt: skip
        writer.record_source(
            dataset=config.dataset,
            file=record.path,
            sha256=data.sha256,
            conditions=len(pb.conditions),
        )
    return report, counts


def synthetic_perturbseq(
    seed: int = 0,
    n_genes: int = 12,
    n_cells: int = 30,
    extra: dict[str, int] | None = None,
) -> ad.AnnData:
    """Seeded Poisson counts with planted effects, for tests and demos.

    Genes ``G0…G{n-1}`` with rates 4 + gene index; a target's own rate drops to 5 % and gene
    ``G{i+6}`` triples for target ``Gi``. Conditions: control, singles G0–G3, doubles G0+G1,
    G2+G3, G0+G2, G1+G3 (``n_cells`` each), plus ``extra`` labels with their cell counts.
    """
    rng = np.random.default_rng(seed)
    genes = [f"G{i}" for i in range(n_genes)]
    base = 4.0 + np.arange(n_genes)
    conditions = {"ctrl": n_cells}
    conditions.update({f"G{i}+ctrl": n_cells for i in range(4)})
    conditions.update({c: n_cells for c in ("G0+G1", "G2+G3", "G0+G2", "G1+G3")})
    conditions.update(extra or {})
    blocks, labels = [], []
    for label, n in conditions.items():
        rate = base.copy()
        for target in parse_condition(label):
            if target in genes:
                i = genes.index(target)
                rate[i] *= 0.05
                rate[(i + 6) % n_genes] *= 3.0
        blocks.append(rng.poisson(rate, size=(n, n_genes)))
        labels += [label] * n
    counts = np.vstack(blocks).astype(np.float32)
    return ad.AnnData(
        X=sparse.csr_matrix(counts),
        obs=pd.DataFrame(
            {"condition": pd.Categorical(labels)}, index=[f"cell{i}" for i in range(len(labels))]
        ),
        var=pd.DataFrame(index=genes),
    )
