"""Force fields and force channels: every external force at the hand, applied through motornet's ``endpoint_load``.

Curl fields (:class:`ForceField`) are velocity dependent, F = B v (newtons; v in m/s; strength k in N·s/m):

* clockwise (CW):         F = k [v_y, -v_x],  B = k [[0, 1], [-1, 0]]
* counter-clockwise (CCW): F = -k [v_y, -v_x]

A rightward movement in CW is pushed towards -y: the force rotates the velocity clockwise. This is
the convention of MotorNet-family research code (book/conventions.md). Catch trials switch the field off.
:class:`ViscousField` is any other F = B v, such as Shadmehr & Mussa-Ivaldi (1994)'s field.

A force channel (:class:`ForceChannel`; Scheidt et al. 2000) is a stiff, damped virtual wall on each
side of the straight line from the trial's start to its target:
F = -n (K n·(p - p0) + D n·v), with n the unit normal of the line, p0 the start. It holds the hand on
the line, so the force the hand presses into the wall (``-F``; :func:`motorkit.metrics.channel_force`)
measures the lateral force the controller predicts it needs.

Per trial, every field is one linear law of the hand state, :class:`HandLoad`: F = A [p - p0, v].
Fields hand it out for a batch of trials with ``trial_loads``; the closed loop applies it each step.

Every force the book applies or draws is computed here: per trial (:meth:`ForceField.trial_matrices`,
with catch trials), for any velocities (:meth:`ForceField.force`), and for several strengths side by
side in one batch (:class:`FieldBatch`). Closed-loop rollouts record the force they applied
(``Rollout.endpoint_load``), so figures read it from the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, Sequence

import numpy as np
import torch

from motorkit.tasks import Trials

#: The curl fields (and the null field).
CURLS: tuple[str, ...] = ("null", "cw", "ccw")
#: Every field kind: the curls, any viscous field given by its matrix, and the force channel.
FIELDS: tuple[str, ...] = (*CURLS, "viscous", "channel")

#: Shadmehr & Mussa-Ivaldi (1994)'s viscous field, experiment 1 (N·s/m, row by row). Not a curl: it
#: resists motion along one axis and assists it along the other, so it looks different in hand and in
#: joint coordinates (a curl looks the same in both, up to its strength).
SHADMEHR_1994: tuple[float, float, float, float] = (-10.1, -11.2, -11.2, 11.1)

#: Field strength used by MotorNet-based studies (N·s/m); human experiments use 13-15.
DEFAULT_STRENGTH: float = 8.0

#: The channel wall: stiffness (N/m) and damping (N·s/m). People's channels are 2000-6000 N/m
#: (Scheidt et al. 2000; Smith et al. 2006). motornet integrates with Euler steps of dt = 10 ms; a
#: spring-damper on the hand is then stable only if damping > stiffness x dt (here 40 > 20), and this
#: one settles without ringing (tests/test_fields.py).
CHANNEL_STIFFNESS: float = 2000.0
CHANNEL_DAMPING: float = 40.0


class HandLoad(NamedTuple):
    """Each trial's external force law: F = matrix @ [p - origin, v] (N), the hand state in metres and m/s.

    ``matrix`` (B, 2, 4): stiffness (N/m) in the first two columns, viscosity (N·s/m) in the last two;
    ``origin`` (B, 2): where the stiffness pulls to (m).
    """

    matrix: torch.Tensor
    origin: torch.Tensor

    @classmethod
    def viscous(cls, matrices: torch.Tensor) -> "HandLoad":
        """The velocity-only law F = B v of per-trial matrices B (B, 2, 2): a viscous field such as a curl."""
        return cls(torch.cat([torch.zeros_like(matrices), matrices], dim=-1), matrices.new_zeros(len(matrices), 2))

    def force(self, cartesian: torch.Tensor) -> torch.Tensor:
        """The force (B, 2) at hand states (B, 4): position and velocity."""
        state = torch.cat([cartesian[:, :2] - self.origin, cartesian[:, 2:]], dim=-1)
        return torch.einsum("bij,bj->bi", self.matrix, state)

    def take(self, index: torch.Tensor | slice) -> "HandLoad":
        """The laws of trials ``index`` only."""
        return HandLoad(self.matrix[index], self.origin[index])

    def to(self, device: torch.device | str) -> "HandLoad":
        return HandLoad(self.matrix.to(device), self.origin.to(device))


class _Viscous:
    """What every velocity-only field shares: per-trial matrices with catch trials, force laws, forces."""

    catch_fraction: float

    def matrix(self) -> torch.Tensor:
        raise NotImplementedError

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

    def trial_loads(self, trials: Trials, generator: torch.Generator | None = None, catch: bool = False) -> HandLoad:
        """Each trial's force law (see :meth:`trial_matrices` for catch trials)."""
        return HandLoad.viscous(self.trial_matrices(len(trials.target), generator, catch))

    def force(self, velocity: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Force (N, 2) at the hand for hand velocities (N, 2) in m/s; the field is on (no catch trials)."""
        velocity = torch.as_tensor(np.asarray(velocity) if not torch.is_tensor(velocity) else velocity,
                                   dtype=torch.float32)
        return endpoint_force(self.matrix().to(velocity.device).expand(len(velocity), 2, 2), velocity)


def _check_catch(fraction: float) -> None:
    if not (0.0 <= fraction <= 1.0):
        raise ValueError(f"catch fraction must be in [0, 1], got {fraction}")


@dataclass(frozen=True)
class ForceField(_Viscous):
    """A curl (or null) force field with an optional fraction of catch trials (field off)."""

    kind: str = "null"
    strength: float = DEFAULT_STRENGTH
    catch_fraction: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in CURLS:
            raise ValueError(f"unknown curl field {self.kind!r}: choose one of {', '.join(CURLS)}")
        if not (self.strength >= 0.0):
            raise ValueError(f"field strength must be >= 0 N·s/m, got {self.strength}")
        _check_catch(self.catch_fraction)

    def matrix(self) -> torch.Tensor:
        """The 2x2 viscous matrix B (N·s/m) such that F = B v."""
        sign = {"null": 0.0, "cw": 1.0, "ccw": -1.0}[self.kind]
        k = sign * self.strength
        return torch.tensor([[0.0, k], [-k, 0.0]], dtype=torch.float32)

    def describe(self) -> dict[str, Any]:
        """What a rollout records about its field."""
        return {"field": self.kind, "strength": self.strength}


@dataclass(frozen=True)
class ViscousField(_Viscous):
    """Any viscous field F = B v, ``viscosity`` = B row by row (N·s/m), with catch trials as for curls."""

    viscosity: tuple[float, float, float, float] = SHADMEHR_1994
    catch_fraction: float = 0.0
    kind: str = "viscous"

    def __post_init__(self) -> None:
        object.__setattr__(self, "viscosity", tuple(float(b) for b in self.viscosity))
        if len(self.viscosity) != 4 or not all(np.isfinite(self.viscosity)):
            raise ValueError(f"a viscous field needs 4 finite numbers, B11 B12 B21 B22 (N·s/m), "
                             f"got {list(self.viscosity)}")
        _check_catch(self.catch_fraction)

    def matrix(self) -> torch.Tensor:
        """The 2x2 viscous matrix B (N·s/m) such that F = B v."""
        return torch.tensor(self.viscosity, dtype=torch.float32).reshape(2, 2)

    def describe(self) -> dict[str, Any]:
        """What a rollout records about its field."""
        return {"field": self.kind, "viscosity": list(self.viscosity)}


@dataclass(frozen=True)
class ForceChannel:
    """A force channel (error clamp): a stiff wall each side of the start-target line of every trial."""

    stiffness: float = CHANNEL_STIFFNESS
    damping: float = CHANNEL_DAMPING
    kind: str = "channel"

    def __post_init__(self) -> None:
        if not (self.stiffness >= 0.0 and self.damping >= 0.0):
            raise ValueError(f"channel stiffness and damping must be >= 0, got {self.stiffness}, {self.damping}")

    def trial_loads(self, trials: Trials, generator: torch.Generator | None = None, catch: bool = False) -> HandLoad:
        """The wall of each trial: F = -n (K n·(p - start) + D n·v); no wall at all with ``catch``.

        A hold trial (target at its start) has no line to hold the hand on: it gets no wall.
        """
        line = trials.target - trials.start
        length = torch.linalg.vector_norm(line, dim=-1, keepdim=True)
        unit = torch.where(length > 0, line / length.clamp_min(1e-12), torch.zeros_like(line))
        normal = torch.stack([-unit[:, 1], unit[:, 0]], dim=-1)
        across = -normal[:, :, None] * normal[:, None, :]  # -n n^T (B, 2, 2)
        matrix = torch.cat([self.stiffness * across, self.damping * across], dim=-1)
        if catch:
            matrix = torch.zeros_like(matrix)
        return HandLoad(matrix, trials.start.clone())

    def describe(self) -> dict[str, Any]:
        """What a rollout records about its channel."""
        return {"field": self.kind, "stiffness": self.stiffness, "damping": self.damping}


def make_field(kind: str, strength: float = DEFAULT_STRENGTH, catch_fraction: float = 0.0,
               viscosity: Sequence[float] = ()) -> "ForceField | ViscousField | ForceChannel":
    """The field of a kind named as on the command line: a curl (or null) field of ``strength``, a
    viscous field of matrix ``viscosity`` (B11 B12 B21 B22, N·s/m), or the channel."""
    if kind == "channel":
        if catch_fraction:
            raise ValueError("catch trials are for force fields; a channel has none")
        return ForceChannel()
    if kind == "viscous":
        if not viscosity:
            raise ValueError("a viscous field needs its matrix: B11 B12 B21 B22 (N·s/m)")
        return ViscousField(tuple(viscosity), catch_fraction)
    return ForceField(kind, strength, catch_fraction)


class TrialFields(Protocol):
    """Anything that gives each trial of a batch its force law: :class:`ForceField`, :class:`ViscousField`,
    :class:`FieldBatch`, :class:`ForceChannel`."""

    def trial_loads(self, trials: Trials, generator: torch.Generator | None = None,
                    catch: bool = False) -> HandLoad: ...

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

    def trial_loads(self, trials: Trials, generator: torch.Generator | None = None, catch: bool = False) -> HandLoad:
        """Each trial's force law (the batch must have one trial per matrix)."""
        return HandLoad.viscous(self.trial_matrices(len(trials.target), generator, catch))

    def describe(self) -> dict[str, Any]:
        """What a rollout records about its fields: the kind and each trial's strength."""
        return {"field": self.kind, "strength": list(self.strength_of_trial)}


def endpoint_force(matrices: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
    """Force at the hand (B, 2) in newtons for hand velocity (B, 2) in m/s: F = B v per trial."""
    return torch.einsum("bij,bj->bi", matrices, velocity)
