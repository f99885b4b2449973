"""One seeded training loop for the graph-fed perturbation models (GEARS-style, AdaPert-style).

Data: :class:`PerturbationTensors` holds, per condition (``'A+ctrl'``, ``'A+B'``, ``'A'``), the
perturbed genes as rows of the perturbation-gene index (the GO prior export's node order), the
pseudobulk change from control ``delta = mean(log x | condition) - mean(log x | control)`` over
the expression genes, and optionally the cells themselves. Training samples batches in one of
two modes:

* ``"cells"`` (the default, as GEARS trains): a batch of perturbed cells drawn at random, each
  paired with a control cell drawn at random, target = ``x_cell - x_control``;
* ``"pseudobulk"``: a batch of conditions, target = the pseudobulk ``delta``.

Training counts optimiser *steps*, not epochs: with ~30 training conditions an epoch of
pseudobulk is a single step, and a fixed number of epochs either stops long before convergence
or wastes time. Every ``eval_every`` steps (a *round*) the validation pseudobulk MSE is
measured; training stops after ``patience`` rounds without improvement and the best weights are
restored. Models follow the contract of :class:`~priorgraph.models.base.PerturbationModel`;
:func:`fit` sums their named loss terms and records each term's mean per round in the history.
Everything runs under a fixed seed with deterministic algorithms, on CUDA when available.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import Tensor

from priorgraph.core.errors import UsageError
from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.core.utils import dense
from priorgraph.core.utils import progress as progress_bar
from priorgraph.models.base import Batch, PerturbationModel
from priorgraph.models.runtime import deterministic, device, evaluating, torch_threads

Mode = Literal["pseudobulk", "cells"]
logger = logging.getLogger(__name__)


def encode_targets(targets: Sequence[Sequence[str]], pert_index: Mapping[str, int]) -> Tensor:
    """Target sets → a ``(C, K)`` long tensor of perturbation-gene rows, padded with ``-1``.

    ``pert_index`` maps each target (a symbol or a gene id, as the caller's index has them) to
    its row; an unknown target is a KeyError naming it.
    """
    rows = []
    for genes in targets:
        missing = [g for g in genes if g not in pert_index]
        if missing:
            raise KeyError(f"{'+'.join(genes)}: {missing} not in the perturbation-gene index")
        rows.append([pert_index[g] for g in genes])
    width = max((len(r) for r in rows), default=1) or 1
    out = torch.full((len(rows), width), -1, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return out


def encode_conditions(
    conditions: Sequence[str], pert_index: Mapping[str, int], *, control: str = "ctrl"
) -> Tensor:
    """Condition labels (``'A+B'``, ``'A+ctrl'``, ``'A'``) → :func:`encode_targets` of their
    genes (the ``control`` token dropped)."""
    return encode_targets(
        [[t for t in c.split("+") if t and t != control] for c in conditions], pert_index
    )


@dataclass
class PerturbationTensors:
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
        *,
        control: str = "ctrl",
        keep_cells: bool = False,
    ) -> PerturbationTensors:
        """Build from log-normalised expression ``x`` (cells × genes) and per-cell conditions.

        ``pert_index`` maps each perturbation token to its row in the perturbation-gene index;
        ``control`` is the control cells' label.
        """
        values = dense(x, np.float32)
        labels = np.asarray(conditions).astype(str)
        if (labels == control).sum() == 0:
            raise UsageError(f"no control cells (label {control!r})")
        ctrl = values[labels == control]
        names = sorted(str(c) for c in set(labels) - {control})
        row = {c: i for i, c in enumerate(names)}
        means = (
            np.stack([values[labels == c].mean(0) for c in names])
            if names
            else np.zeros((0, values.shape[1]), dtype=np.float32)
        )
        ctrl_mean = ctrl.mean(0)
        perturbed = labels != control
        return cls(
            conditions=names,
            genes=list(genes),
            perts=encode_conditions(names, pert_index, control=control),
            delta=torch.from_numpy(means - ctrl_mean),
            nonzero=torch.from_numpy(means != 0),
            ctrl_mean=torch.from_numpy(ctrl_mean),
            cell_x=torch.from_numpy(values[perturbed]) if keep_cells else None,
            cell_condition=torch.tensor([row[c] for c in labels[perturbed]])
            if keep_cells
            else None,
            ctrl_x=torch.from_numpy(ctrl) if keep_cells else None,
        )

    @classmethod
    def from_pseudobulk(cls, pb: Pseudobulk, perts: Tensor) -> PerturbationTensors:
        """Every condition of ``pb`` as pseudobulk targets; ``perts`` ``(C, K)`` their rows of
        the perturbation-gene index (:func:`encode_targets`), in ``pb.conditions`` order."""
        return cls(
            conditions=list(pb.conditions),
            genes=list(pb.genes),
            perts=perts,
            delta=torch.from_numpy(pb.deltas.astype(np.float32)),
            nonzero=torch.from_numpy(np.asarray(pb.non_zero, dtype=bool)),
            ctrl_mean=torch.from_numpy(pb.control_mean.astype(np.float32)),
        )

    def with_cells(
        self, x: np.ndarray | sp.spmatrix, labels: Sequence[str], *, control: str
    ) -> PerturbationTensors:
        """These conditions with their cells attached (cells of other conditions are left out;
        the ``control`` cells are kept as the pool that cell targets are paired with)."""
        values = dense(x, np.float32)
        labels = np.asarray(labels).astype(str)
        row = {c: i for i, c in enumerate(self.conditions)}
        keep = np.isin(labels, list(row))
        if not (labels == control).any():
            raise UsageError(f"no control cells (label {control!r})")
        return replace(
            self,
            cell_x=torch.from_numpy(values[keep]),
            cell_condition=torch.tensor([row[c] for c in labels[keep]], dtype=torch.long),
            ctrl_x=torch.from_numpy(values[labels == control]),
        )

    def subset(self, conditions: Sequence[str]) -> PerturbationTensors:
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

    def sample(self, mode: Mode, batch_size: int, generator: torch.Generator) -> Batch:
        """One random batch: up to ``batch_size`` distinct conditions (``pseudobulk``), or
        ``batch_size`` cells drawn with replacement, each paired with a control cell
        (``cells``)."""
        if mode == "pseudobulk":
            n = len(self.conditions)
            idx = torch.randperm(n, generator=generator)[: min(batch_size, n)]
            return Batch(self.perts[idx], self.delta[idx], self.nonzero[idx], idx)
        if self.cell_x is None or self.ctrl_x is None or self.cell_condition is None:
            raise UsageError("mode 'cells' needs the cells: PerturbationTensors.with_cells(…)")
        idx = torch.randint(len(self.cell_x), (batch_size,), generator=generator)
        cond = self.cell_condition[idx]
        ctrl = torch.randint(len(self.ctrl_x), (batch_size,), generator=generator)
        target = self.cell_x[idx] - self.ctrl_x[ctrl]
        return Batch(self.perts[cond], target, self.nonzero[cond], cond)


@dataclass
class TrainConfig:
    """Optimiser, batching and stopping settings (saved with every checkpoint)."""

    steps: int = 600  # optimiser steps at most
    batch_size: int = 64
    eval_every: int = 50  # steps per round: validation MSE measured once a round
    patience: int = 6  # rounds without validation improvement before stopping
    lr: float = 1e-3
    weight_decay: float = 5e-4
    mode: Mode = "cells"
    seed: int = 0
    progress: bool = True
    threads: int | None = None  # torch intra-op threads while training (None: leave as is)


@dataclass
class FitSummary:
    """What :func:`fit` did: the history (one record per round: ``step``, ``loss``, every loss
    term averaged over the round, ``val_mse``), the round kept, wall time and device."""

    history: list[dict[str, float]] = field(default_factory=list)
    best_round: int = -1
    best_val: float = float("inf")
    seconds: float = 0.0
    device: str = "cpu"


@torch.no_grad()
def predict_deltas(model: PerturbationModel, perts: Tensor, batch_size: int = 256) -> Tensor:
    """Eval-mode predictions ``(C, G)`` for a ``(C, K)`` tensor of perturbation-gene rows (the
    model is given back in the mode it was in)."""
    dev = next(model.parameters()).device
    with evaluating(model):
        out = [model(perts[i : i + batch_size].to(dev)).cpu()
               for i in range(0, len(perts), batch_size)]  # fmt: skip
    return torch.cat(out) if out else torch.zeros(0)


def predict(model: PerturbationModel, data: PerturbationTensors) -> pd.DataFrame:
    """The predicted delta matrix: rows = ``data.conditions``, columns = ``data.genes``."""
    values = predict_deltas(model, data.perts).numpy()
    return pd.DataFrame(values, index=data.conditions, columns=data.genes)


def _val_mse(model: PerturbationModel, data: PerturbationTensors) -> float:
    return float(((predict_deltas(model, data.perts) - data.delta) ** 2).mean())


def fit(
    model: PerturbationModel,
    train: PerturbationTensors,
    *,
    val: PerturbationTensors | None = None,
    config: TrainConfig | None = None,
) -> FitSummary:
    """Train ``model`` in place; keep the weights of the best validation epoch.

    Without ``val`` every epoch runs and the last weights are kept.
    """
    config = config or TrainConfig()
    result = FitSummary(device=str(device()))
    start = time.perf_counter()
    with torch_threads(config.threads):
        _train(model, train, val, config, result)
    result.seconds = time.perf_counter() - start
    logger.info(
        "%s: %d rounds of %d steps, best %d (val_mse %.4g), %.1f s on %s", model.name,
        len(result.history), config.eval_every, result.best_round, result.best_val,
        result.seconds, result.device,
    )  # fmt: skip
    return result


def _train(
    model: PerturbationModel,
    train: PerturbationTensors,
    val: PerturbationTensors | None,
    config: TrainConfig,
    result: FitSummary,
) -> None:
    """The step loop of :func:`fit`, filling ``result`` in place."""
    dev = torch.device(result.device)
    rounds = max(1, -(-config.steps // config.eval_every))
    with deterministic(config.seed):
        model.to(dev)
        optimiser = torch.optim.Adam(
            model.parameter_groups(config.lr), lr=config.lr, weight_decay=config.weight_decay
        )
        generator = torch.Generator().manual_seed(config.seed)
        best_state: dict[str, Tensor] | None = None
        stale = 0
        bar = progress_bar(total=rounds, desc=f"train {model.name}", enabled=config.progress,
                           unit="round")  # fmt: skip
        with bar:
            for round_ in range(rounds):
                model.on_round(round_, rounds)
                model.train()
                sums: dict[str, float] = defaultdict(float)
                steps = min(config.eval_every, config.steps - round_ * config.eval_every)
                for _ in range(steps):
                    batch = train.sample(config.mode, config.batch_size, generator)
                    optimiser.zero_grad()
                    terms = model.loss_terms(batch.to(dev))
                    loss = torch.stack(list(terms.values())).sum()
                    loss.backward()
                    optimiser.step()
                    sums["loss"] += float(loss.detach())
                    for name, value in terms.items():
                        sums[name] += float(value.detach())
                record = {"round": round_, "step": round_ * config.eval_every + steps,
                          **{k: v / max(steps, 1) for k, v in sums.items()}}  # fmt: skip
                if val is not None and len(val.conditions):
                    record["val_mse"] = _val_mse(model, val)
                    if record["val_mse"] < result.best_val:
                        result.best_val, result.best_round, stale = record["val_mse"], round_, 0
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    else:
                        stale += 1
                result.history.append(record)
                logger.debug("%s round %d: %s", model.name, round_, record)
                bar.set_postfix({k: f"{v:.4g}" for k, v in record.items()
                                 if k not in ("round", "step")})  # fmt: skip
                bar.update(1)
                if stale >= config.patience:
                    break
        if best_state is not None:
            model.load_state_dict(best_state)
        else:
            result.best_round = len(result.history) - 1


def _model_classes() -> dict[str, type[PerturbationModel]]:
    from priorgraph.models.adapert import AdaPert
    from priorgraph.models.gears import GEARS

    return {cls.name: cls for cls in (GEARS, AdaPert)}


def save_checkpoint(
    path: str | Path,
    model: PerturbationModel,
    *,
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


def load_checkpoint(path: str | Path, **inputs: Any) -> tuple[PerturbationModel, dict[str, Any]]:
    """Rebuild a saved model from its config and weights; ``inputs`` = the constructor's tensors
    (graphs, index maps), which must be the same exports the model was trained on."""
    path = Path(path)
    config = json.loads((path / "config.json").read_text())
    cls = _model_classes()[config["model"]]
    model = cls(**inputs, config=cls.config_class(**config["model_config"]))
    state = torch.load(path / "model.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model, config
