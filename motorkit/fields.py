"""Force fields: external forces at the hand, applied through motornet's ``endpoint_load``.

Curl fields are velocity dependent, F = B v (newtons; v in m/s; strength k in N·s/m):

* clockwise (CW):         F = k [v_y, -v_x],  B = k [[0, 1], [-1, 0]]
* counter-clockwise (CCW): F = -k [v_y, -v_x]

A rightward movement in CW is pushed towards -y: the force rotates the velocity clockwise. This is
the convention of MotorNet-family research code (SCIENCE.md). Catch trials switch the field off.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def endpoint_force(matrices: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
    """Force at the hand (B, 2) in newtons for hand velocity (B, 2) in m/s: F = B v per trial."""
    return torch.einsum("bij,bj->bi", matrices, velocity)
