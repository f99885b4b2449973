"""The contract between the graph-fed perturbation models and the training loop.

A :class:`PerturbationModel` maps a batch of perturbations to predicted changes from control,
``forward(perts (B, K)) -> delta (B, G)``, and names the terms of its loss,
``loss_terms(batch) -> {"term": scalar}``. :func:`priorgraph.models.train.fit` sums the terms,
back-propagates the sum and records the mean of every term per epoch in the fit history, so a
model with several terms (AdaPert: fit, centred correlation, L0) shows each of them. Two hooks
have defaults that do nothing special: :meth:`~PerturbationModel.parameter_groups` (one
optimiser group) and :meth:`~PerturbationModel.on_round` (no schedule).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn


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


class PerturbationModel(nn.Module, ABC):
    """A perturbation model the training loop can fit, checkpoint and reload.

    Subclasses set ``name`` (the model's name in runs and checkpoints) and ``config_class`` (the
    dataclass of their hyper-parameters, kept as ``self.config``), take every constructor
    argument by keyword, and implement :meth:`forward` and :meth:`loss_terms`.
    """

    name: ClassVar[str]
    config_class: ClassVar[type]
    config: Any

    @abstractmethod
    def forward(self, perts: Tensor) -> Tensor:
        """``perts`` ``(B, K)`` rows of the perturbation index (-1 padded) → ``(B, G)`` deltas."""

    @abstractmethod
    def loss_terms(self, batch: Batch) -> dict[str, Tensor]:
        """The named scalar terms of the loss on ``batch``, each already weighted: the loss is
        their sum."""

    def parameter_groups(self, lr: float) -> list[dict[str, Any]]:
        """Optimiser parameter groups (default: one group at the global learning rate ``lr``)."""
        return [{"params": list(self.parameters())}]

    def on_round(self, round_: int, rounds: int) -> None:
        """Called before each of the ``rounds`` training rounds (``eval_every`` steps each;
        default: nothing), e.g. for schedules."""
