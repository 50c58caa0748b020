"""Force fields: every external force at the hand, applied through motornet's ``endpoint_load``.

Curl fields are velocity dependent, F = B v (newtons; v in m/s; strength k in N·s/m):

* clockwise (CW):         F = k [v_y, -v_x],  B = k [[0, 1], [-1, 0]]
* counter-clockwise (CCW): F = -k [v_y, -v_x]

A rightward movement in CW is pushed towards -y: the force rotates the velocity clockwise. This is
the convention of MotorNet-family research code (book/conventions.md). Catch trials switch the field off.

Every force the book applies or draws is computed here: per trial (:meth:`ForceField.trial_matrices`,
with catch trials), for any velocities (:meth:`ForceField.force`), and for several strengths side by
side in one batch (:class:`FieldBatch`). Closed-loop rollouts record the force they applied
(``Rollout.endpoint_load``), so figures read it from the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np
import torch

FIELDS: tuple[str, ...] = ("null", "cw", "ccw")

#: Field strength used by MotorNet-based studies (N·s/m); human experiments use 13-15.
DEFAULT_STRENGTH: float = 8.0


@dataclass(frozen=True)
class ForceField:
    """A curl (or null) force field with an optional fraction of catch trials (field off)."""

    kind: str = "null"
    strength: float = DEFAULT_STRENGTH
    catch_fraction: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in FIELDS:
            raise ValueError(f"unknown field {self.kind!r}: choose one of {', '.join(FIELDS)}")
        if not (self.strength >= 0.0):
            raise ValueError(f"field strength must be >= 0 N·s/m, got {self.strength}")
        if not (0.0 <= self.catch_fraction <= 1.0):
            raise ValueError(f"catch fraction must be in [0, 1], got {self.catch_fraction}")

    def matrix(self) -> torch.Tensor:
        """The 2x2 viscous matrix B (N·s/m) such that F = B v."""
        sign = {"null": 0.0, "cw": 1.0, "ccw": -1.0}[self.kind]
        k = sign * self.strength
        return torch.tensor([[0.0, k], [-k, 0.0]], dtype=torch.float32)

    def trial_matrices(
        self, batch_size: int, generator: torch.Generator | None = None, catch: bool = False
    ) -> torch.Tensor:
        """Per-trial matrices (B, 2, 2): the field's B, or zeros on catch trials.

        ``catch=True`` makes every trial a catch trial; otherwise each trial is a catch trial with
        probability ``catch_fraction`` (drawn from ``generator``).
        """
        mats = self.matrix().expand(batch_size, 2, 2).clone()
        if catch:
            return torch.zeros_like(mats)
        if self.catch_fraction > 0.0:
            is_catch = torch.rand(batch_size, generator=generator) < self.catch_fraction
            mats[is_catch] = 0.0
        return mats

    def force(self, velocity: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Force (N, 2) at the hand for hand velocities (N, 2) in m/s; the field is on (no catch trials)."""
        velocity = torch.as_tensor(np.asarray(velocity) if not torch.is_tensor(velocity) else velocity,
                                   dtype=torch.float32)
        return endpoint_force(self.matrix().to(velocity.device).expand(len(velocity), 2, 2), velocity)

    def describe(self) -> dict[str, Any]:
        """What a rollout records about its field."""
        return {"field": self.kind, "strength": self.strength}


class TrialFields(Protocol):
    """Anything that gives each trial of a batch its viscous matrix: :class:`ForceField`, :class:`FieldBatch`."""

    def trial_matrices(self, batch_size: int, generator: torch.Generator | None = None,
                       catch: bool = False) -> torch.Tensor: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class FieldBatch:
    """Several curl fields in one batch: trial ``i`` feels ``matrices[i]`` (B, 2, 2).

    One batched simulation then tests a network in many fields at once (eager rollouts cost about the
    same for 8 trials as for 80). Build it with :meth:`strengths`.
    """

    kind: str
    matrices: torch.Tensor
    strength_of_trial: tuple[float, ...]

    @classmethod
    def strengths(cls, kind: str, strengths: Sequence[float], trials_each: int) -> "FieldBatch":
        """``kind`` fields of each of ``strengths`` (N·s/m), ``trials_each`` consecutive trials per strength."""
        strengths = [float(k) for k in strengths]
        matrices = torch.cat([ForceField(kind, k).matrix().expand(trials_each, 2, 2) for k in strengths])
        return cls(kind, matrices, tuple(k for k in strengths for _ in range(trials_each)))

    def trial_matrices(self, batch_size: int, generator: torch.Generator | None = None,
                       catch: bool = False) -> torch.Tensor:
        """The per-trial matrices (zeros with ``catch``); the batch must have one trial per matrix."""
        if batch_size != len(self.matrices):
            raise ValueError(f"{len(self.matrices)} field matrices for a batch of {batch_size}")
        return torch.zeros_like(self.matrices) if catch else self.matrices.clone()

    def describe(self) -> dict[str, Any]:
        """What a rollout records about its fields: the kind and each trial's strength."""
        return {"field": self.kind, "strength": list(self.strength_of_trial)}


def endpoint_force(matrices: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
    """Force at the hand (B, 2) in newtons for hand velocity (B, 2) in m/s: F = B v per trial."""
    return torch.einsum("bij,bj->bi", matrices, velocity)
