"""One seeded training loop for the graph-fed perturbation models (GEARS-style, AdaPert-style).

Data: :class:`PerturbData` holds, per condition (``'A+ctrl'``, ``'A+B'``), the perturbed genes as
rows of the perturbation-gene index (the GO graph export's node order), the pseudobulk change
from control ``delta = mean(log x | condition) - mean(log x | ctrl)`` over the expression genes,
and optionally the cells themselves. It yields :class:`Batch` es in one of two modes:

* ``"pseudobulk"``: one sample per condition, target = the pseudobulk ``delta``;
* ``"cells"``: one sample per perturbed cell, target = ``x_cell - x_ctrl`` for a control cell
  drawn at random each epoch (GEARS' (control cell → perturbed cell) pairs).

Models implement ``forward(perts) -> delta`` and ``training_loss(batch) -> scalar``. :func:`fit`
trains with Adam, early-stops on the validation pseudobulk MSE and restores the best weights;
:func:`predict` returns the held-out conditions × genes delta matrix. Everything runs under a
fixed seed with deterministic algorithms, on CUDA when available.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from torch import Tensor, nn

CONTROL = "ctrl"
Mode = Literal["pseudobulk", "cells"]


def encode_condition(condition: str, pert_index: Mapping[str, int]) -> list[int]:
    """``'A+B'`` → rows of A and B in the perturbation-gene index (``'ctrl'`` tokens dropped)."""
    tokens = [t for t in condition.split("+") if t and t != CONTROL]
    missing = [t for t in tokens if t not in pert_index]
    if missing:
        raise KeyError(f"{condition}: {missing} not in the perturbation-gene index")
    return [pert_index[t] for t in tokens]


def encode_conditions(conditions: Sequence[str], pert_index: Mapping[str, int]) -> Tensor:
    """Conditions → a ``(C, K)`` long tensor of perturbation-gene rows, padded with ``-1``."""
    rows = [encode_condition(c, pert_index) for c in conditions]
    width = max((len(r) for r in rows), default=1) or 1
    out = torch.full((len(rows), width), -1, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return out


@dataclass
class Batch:
    """What a model sees in one step.

    ``perts`` ``(B, K)`` perturbation-gene rows padded with -1; ``target`` ``(B, G)`` change from
    control; ``mask`` ``(B, G)`` genes the loss may use (non-zero in the condition);
    ``condition`` ``(B,)`` the row of each sample's condition, for per-perturbation averaging.
    """

    perts: Tensor
    target: Tensor
    mask: Tensor
    condition: Tensor

    def to(self, device: torch.device) -> Batch:
        return Batch(*(t.to(device) for t in (self.perts, self.target, self.mask, self.condition)))


@dataclass
class PerturbData:
    """Conditions, their perturbed genes and pseudobulk deltas (optionally the cells too)."""

    conditions: list[str]
    genes: list[str]  # expression genes (columns of delta)
    perts: Tensor  # (C, K) rows of the perturbation-gene index, -1 padded
    delta: Tensor  # (C, G) pseudobulk change from control
    nonzero: Tensor  # (C, G) bool: gene has a non-zero mean in the condition
    ctrl_mean: Tensor  # (G,) mean control expression
    cell_x: Tensor | None = None  # (N, G) perturbed cells
    cell_condition: Tensor | None = None  # (N,) row in ``conditions``
    ctrl_x: Tensor | None = None  # (M, G) control cells

    @classmethod
    def from_expression(
        cls,
        x: np.ndarray | sp.spmatrix,
        conditions: Sequence[str],
        genes: Sequence[str],
        pert_index: Mapping[str, int],
        keep_cells: bool = False,
    ) -> PerturbData:
        """Build from log-normalised expression ``x`` (cells × genes) and per-cell conditions.

        ``pert_index`` maps each perturbation token to its row in the perturbation-gene index.
        """
        dense = np.asarray(x.toarray() if sp.issparse(x) else x, dtype=np.float32)
        labels = np.asarray(conditions).astype(str)
        if (labels == CONTROL).sum() == 0:
            raise ValueError("no control cells")
        ctrl = dense[labels == CONTROL]
        names = sorted(str(c) for c in set(labels) - {CONTROL})
        row = {c: i for i, c in enumerate(names)}
        means = (
            np.stack([dense[labels == c].mean(0) for c in names])
            if names
            else np.zeros((0, dense.shape[1]), dtype=np.float32)
        )
        ctrl_mean = ctrl.mean(0)
        perturbed = labels != CONTROL
        return cls(
            conditions=names,
            genes=list(genes),
            perts=encode_conditions(names, pert_index),
            delta=torch.from_numpy(means - ctrl_mean),
            nonzero=torch.from_numpy(means != 0),
            ctrl_mean=torch.from_numpy(ctrl_mean),
            cell_x=torch.from_numpy(dense[perturbed]) if keep_cells else None,
            cell_condition=torch.tensor([row[c] for c in labels[perturbed]])
            if keep_cells
            else None,
            ctrl_x=torch.from_numpy(ctrl) if keep_cells else None,
        )

    def subset(self, conditions: Sequence[str]) -> PerturbData:
        """The given conditions only (their cells too; control cells are shared)."""
        index = {c: i for i, c in enumerate(self.conditions)}
        rows = torch.tensor([index[c] for c in conditions], dtype=torch.long)
        cells: dict[str, Tensor | None] = {"cell_x": None, "cell_condition": None}
        if self.cell_x is not None and self.cell_condition is not None:
            remap = torch.full((len(self.conditions),), -1, dtype=torch.long)
            remap[rows] = torch.arange(len(rows))
            keep = remap[self.cell_condition] >= 0
            cells = {
                "cell_x": self.cell_x[keep],
                "cell_condition": remap[self.cell_condition[keep]],
            }
        return replace(
            self,
            conditions=list(conditions),
            perts=self.perts[rows],
            delta=self.delta[rows],
            nonzero=self.nonzero[rows],
            **cells,
        )

    def mean_delta(self) -> Tensor:
        """The average response over these conditions (what a mean-collapsed model predicts)."""
        return self.delta.mean(0)

    def batches(
        self, mode: Mode, batch_size: int, generator: torch.Generator | None = None
    ) -> Iterator[Batch]:
        """Shuffled batches (in order when ``generator`` is None) of conditions or cell pairs."""
        if mode == "pseudobulk":
            n = len(self.conditions)
        elif self.cell_x is None or self.ctrl_x is None or self.cell_condition is None:
            raise ValueError("mode 'cells' needs PerturbData.from_expression(..., keep_cells=True)")
        else:
            n = len(self.cell_x)
        order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            if mode == "pseudobulk":
                cond, target = idx, self.delta[idx]
            else:
                cond = self.cell_condition[idx]
                ctrl = torch.randint(len(self.ctrl_x), (len(idx),), generator=generator)
                target = self.cell_x[idx] - self.ctrl_x[ctrl]
            yield Batch(self.perts[cond], target, self.nonzero[cond], cond)


@dataclass
class TrainConfig:
    """Optimiser, batching and stopping settings (saved with every checkpoint)."""

    epochs: int = 100
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 5e-4
    patience: int = 15  # epochs without validation improvement before stopping
    mode: Mode = "pseudobulk"
    seed: int = 0
    progress: bool = True
    threads: int | None = None  # torch intra-op threads while training (None: leave as is)


@dataclass
class FitResult:
    """What :func:`fit` did: per-epoch history, the epoch kept, wall time and device."""

    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = -1
    best_val: float = float("inf")
    seconds: float = 0.0
    device: str = "cpu"


def device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextmanager
def deterministic(seed: int) -> Iterator[None]:
    """Seed everything and enable deterministic algorithms, restoring the previous setting."""
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    seed_everything(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)


@torch.no_grad()
def predict_deltas(model: nn.Module, perts: Tensor, batch_size: int = 256) -> Tensor:
    """Eval-mode predictions ``(C, G)`` for a ``(C, K)`` tensor of perturbation-gene rows."""
    model.eval()
    dev = next(model.parameters()).device
    out = [model(perts[i : i + batch_size].to(dev)).cpu() for i in range(0, len(perts), batch_size)]
    return torch.cat(out) if out else torch.zeros(0)


def predict(model: nn.Module, data: PerturbData) -> pd.DataFrame:
    """The predicted delta matrix: rows = ``data.conditions``, columns = ``data.genes``."""
    values = predict_deltas(model, data.perts).numpy()
    return pd.DataFrame(values, index=data.conditions, columns=data.genes)


def _val_mse(model: nn.Module, data: PerturbData) -> float:
    return float(((predict_deltas(model, data.perts) - data.delta) ** 2).mean())


def fit(
    model: nn.Module,
    train: PerturbData,
    val: PerturbData | None = None,
    config: TrainConfig | None = None,
) -> FitResult:
    """Train ``model`` in place; keep the weights of the best validation epoch.

    Without ``val`` every epoch runs and the last weights are kept.
    """
    config = config or TrainConfig()
    dev = device()
    result = FitResult(device=str(dev))
    start = time.perf_counter()
    threads = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)
    try:
        _train(model, train, val, config, result)
    finally:
        torch.set_num_threads(threads)
    result.seconds = time.perf_counter() - start
    return result


def _train(
    model: nn.Module,
    train: PerturbData,
    val: PerturbData | None,
    config: TrainConfig,
    result: FitResult,
) -> None:
    """The epoch loop of :func:`fit`, filling ``result`` in place."""
    dev = torch.device(result.device)
    with deterministic(config.seed):
        model.to(dev)
        groups = getattr(model, "parameter_groups", None)
        optimiser = torch.optim.Adam(
            groups(config.lr) if groups is not None else model.parameters(),
            lr=config.lr,
            weight_decay=config.weight_decay,
        )
        on_epoch = getattr(model, "on_epoch", None)
        generator = torch.Generator().manual_seed(config.seed)
        best_state: dict[str, Tensor] | None = None
        stale = 0
        columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
                   TimeElapsedColumn())  # fmt: skip
        with Progress(*columns, disable=not config.progress, transient=True) as bar:
            task = bar.add_task(f"train {type(model).__name__}", total=config.epochs, info="")
            for epoch in range(config.epochs):
                if on_epoch is not None:
                    on_epoch(epoch, config.epochs)
                model.train()
                losses = []
                for batch in train.batches(config.mode, config.batch_size, generator):
                    optimiser.zero_grad()
                    loss = model.training_loss(batch.to(dev))
                    loss.backward()
                    optimiser.step()
                    losses.append(float(loss.detach()))
                record = {"epoch": epoch, "loss": float(np.mean(losses))}
                if val is not None and len(val.conditions):
                    record["val_mse"] = _val_mse(model, val)
                    if record["val_mse"] < result.best_val:
                        result.best_val, result.best_epoch, stale = record["val_mse"], epoch, 0
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    else:
                        stale += 1
                result.history.append(record)
                info = " ".join(f"{k}={v:.4g}" for k, v in record.items() if k != "epoch")
                bar.update(task, advance=1, info=info)
                if stale >= config.patience:
                    break
        if best_state is not None:
            model.load_state_dict(best_state)
        else:
            result.best_epoch = len(result.history) - 1


def _model_classes() -> dict[str, Any]:
    from priorgraph.models.adapert import AdaPert
    from priorgraph.models.gears import GEARS

    return {"gears": GEARS, "adapert": AdaPert}


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    train_config: TrainConfig | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``<path>/model.pt`` (state dict) and ``<path>/config.json`` (model + training)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.cpu() for k, v in model.state_dict().items()}, path / "model.pt")
    config = {
        "model": model.name,
        "model_config": asdict(model.config),
        "train_config": asdict(train_config) if train_config else None,
        **(extra or {}),
    }
    (path / "config.json").write_text(json.dumps(config, indent=2, default=str))
    return path


def load_checkpoint(path: str | Path, **inputs: Any) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a saved model from its config and weights; ``inputs`` = the constructor's tensors
    (graphs, index maps), which must be the same exports the model was trained on."""
    path = Path(path)
    config = json.loads((path / "config.json").read_text())
    cls = _model_classes()[config["model"]]
    model = cls(**inputs, config=cls.config_class(**config["model_config"]))
    state = torch.load(path / "model.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model, config
