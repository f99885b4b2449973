"""The contract of the models that are fitted on pseudobulk (baselines, the graph GP).

A :class:`Predictor` is fitted on the training conditions of a split (:class:`TrainingSet`:
per-condition mean expression, with the standard errors of those means when the data set has
them) and predicts the mean expression of any perturbation from its target genes. The neural
models of :mod:`priorgraph.models.train` have their own contract
(:class:`~priorgraph.models.base.PerturbationModel`) and reach the same interface through
:mod:`priorgraph.models.pipeline`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from priorgraph.core.errors import UsageError
from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.core.splits import Split

Targets = tuple[str, ...]


@dataclass
class TrainingSet:
    """Training pseudobulk of one split: conditions (no control), their targets and means.

    ``mean_variances`` (conditions × genes) and ``control_mean_variance`` (genes) are the squared
    standard errors of the condition and control means (None when unknown).
    """

    genes: list[str]
    control: np.ndarray
    conditions: list[str]
    targets: list[Targets]
    means: np.ndarray
    mean_variances: np.ndarray | None = None
    control_mean_variance: np.ndarray | None = None

    @classmethod
    def from_split(cls, pb: Pseudobulk, split: Split) -> TrainingSet:
        """The training conditions of ``split`` (a UsageError when it has none)."""
        return cls.from_conditions(pb, [c for c in pb.conditions if c in set(split.train)])

    @classmethod
    def from_conditions(cls, pb: Pseudobulk, conditions: Sequence[str]) -> TrainingSet:
        """The given conditions of ``pb`` (the control label is skipped)."""
        rows = [pb.row(c) for c in conditions if c in set(pb.conditions)]
        if not rows:
            raise UsageError(f"no training perturbation of {pb.dataset} among {conditions[:5]}")
        return cls(
            genes=list(pb.genes),
            control=pb.control_mean,
            conditions=[pb.conditions[i] for i in rows],
            targets=[pb.targets[i] for i in rows],
            means=pb.means[rows],
            mean_variances=pb.mean_variances[rows],
            control_mean_variance=pb.control_mean_variance,
        )

    @property
    def deltas(self) -> np.ndarray:
        """Observed change from control of every training condition."""
        return self.means - self.control

    @property
    def single_deltas(self) -> dict[str, np.ndarray]:
        """Target gene → the observed change of its single perturbation, where one is trained."""
        return {t[0]: d for t, d in zip(self.targets, self.deltas, strict=True) if len(t) == 1}


class Predictor(ABC):
    """``fit`` on a :class:`TrainingSet`, then ``predict`` mean expression for target lists."""

    name: ClassVar[str]

    def config(self) -> dict[str, Any]:
        """What identifies this model's configuration in a run record."""
        return {"model": self.name}

    def fit(self, train: TrainingSet) -> Predictor:
        """Remember the training set (models with parameters override and call this)."""
        self.train = train
        return self

    @abstractmethod
    def predict_deltas(self, targets: Sequence[Targets]) -> np.ndarray:
        """Predicted change from control, one row per target list."""

    def predict(self, targets: Sequence[Targets]) -> np.ndarray:
        """Predicted mean expression (control + change), one row per target list."""
        return self.train.control + self.predict_deltas(targets)
