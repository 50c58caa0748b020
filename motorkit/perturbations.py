"""Perturbations of the body and the senses: the experiments of feedback control, as interventions.

Each is a :class:`motorkit.policy.Intervention` whose :attr:`~motorkit.policy.Intervention.site` is a
signal of the closed loop other than the hidden state (the three shifts are :class:`~motorkit.policy.Perturb`s
elsewhere), so it runs through the same machinery as the
hidden-state interventions, in tests and in training alike (``TrainConfig.interventions``):

* :class:`Bump`: a force pulse at the hand (N), added to whatever else pushes it;
* :class:`TargetJump`: the target the network is shown moves (m);
* :class:`CursorJump`: what reaches the eye of the hand's position is shifted (m);
* :class:`VisualRotation`: what reaches the eye is rotated about a centre (a visuomotor rotation);
* :class:`Silence`: a sense (vision or proprioception) sends a fixed value instead of the body's state.

Sensory perturbations act where the signal enters its delay line, so the network meets them one
delay later, as a person meets a cursor jump one visual delay after it happens. A target jump acts
on the target shown: :func:`target_jump` shifts it from a step plus vision's delay (the target, too,
is seen). The helpers :func:`bump`, :func:`target_jump` and :func:`cursor_jump` build them from the
times of an experiment (ms after the go cue), and :func:`silence` a sense frozen at the start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from motorkit.closed_loop import Simulator
from motorkit.policy import Intervention, Perturb, Steps
from motorkit.tasks import TaskConfig, Trials

#: The senses :class:`Silence` can silence: the sites of their signals.
SENSES: tuple[str, ...] = ("vision", "proprioception")


@dataclass
class Bump(Perturb):
    """Push the hand: ``offset`` (2,) or (B, 2) is a force in N, added to any other at the hand."""

    site = "hand"


@dataclass
class TargetJump(Perturb):
    """Show the target moved by ``offset`` (2,) or (B, 2), in m."""

    site = "target"


@dataclass
class CursorJump(Perturb):
    """Shift what reaches the eye of the hand's position by ``offset`` (2,) or (B, 2), in m."""

    site = "vision"


@dataclass
class VisualRotation(Intervention):
    """Rotate what reaches the eye of the hand's position by ``angle_deg`` (counter-clockwise) about
    ``centre`` (2,) or (B, 2), in m: a visuomotor rotation about the start of the reach."""

    steps: Steps
    angle_deg: float
    centre: torch.Tensor = field(default_factory=lambda: torch.zeros(2))
    site = "vision"
    _tensors = ("centre",)

    def change(self, seen: torch.Tensor, *data: torch.Tensor) -> torch.Tensor:
        a = math.radians(self.angle_deg)
        rotation = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]).to(seen)
        centre = self.centre.to(seen)
        return centre + (seen - centre) @ rotation.T


@dataclass
class Silence(Intervention):
    """Let ``sense`` (:data:`SENSES`) send ``value`` ((n,) or (B, n); by default zeros) instead of the
    body's state at the chosen steps: the sense carries no news of the movement."""

    steps: Steps
    sense: str
    value: torch.Tensor = field(default_factory=lambda: torch.zeros(()))
    _tensors = ("value",)

    def __post_init__(self) -> None:
        if self.sense not in SENSES:
            raise ValueError(f"unknown sense {self.sense!r}: choose one of {', '.join(SENSES)}")

    @property
    def site(self) -> str:  # type: ignore[override]
        return self.sense

    def change(self, signal: torch.Tensor, *data: torch.Tensor) -> torch.Tensor:
        return self.value.to(signal).expand_as(signal)


def onset_step(task: TaskConfig, go_step: int, onset_ms: float) -> int:
    """The step ``onset_ms`` after the go cue at ``go_step``; a one-line error if outside the episode."""
    step = go_step + round(onset_ms / 1000 / task.dt)
    if not 0 <= step < task.n_steps:
        raise ValueError(f"a perturbation {onset_ms:g} ms after the go cue falls outside the "
                         f"{1000 * task.duration:g} ms episode")
    return step


def bump(task: TaskConfig, go_step: int, onset_ms: float, duration_ms: float, force_n: float,
         angle_deg: float) -> Bump:
    """A force pulse of ``force_n`` N towards ``angle_deg`` (from +x, counter-clockwise) at the hand,
    from ``onset_ms`` after the go cue for ``duration_ms``."""
    if not duration_ms > 0 or not force_n >= 0 or not math.isfinite(angle_deg):
        raise ValueError(f"a bump needs a duration > 0 ms, a force >= 0 N and a finite angle, got "
                         f"{duration_ms:g} ms, {force_n:g} N, {angle_deg:g} deg")
    start = onset_step(task, go_step, onset_ms)
    a = math.radians(angle_deg)
    return Bump(steps=slice(start, start + max(1, round(duration_ms / 1000 / task.dt))),
                offset=torch.tensor([force_n * math.cos(a), force_n * math.sin(a)]))


def target_jump(task: TaskConfig, go_step: int, onset_ms: float, dx_m: float, dy_m: float) -> TargetJump:
    """The target moves by (``dx_m``, ``dy_m``) ``onset_ms`` after the go cue, for good; the network
    sees the move one visual delay later."""
    start = onset_step(task, go_step, onset_ms) + task.cue_lag
    return TargetJump(steps=slice(start, None), offset=torch.tensor([dx_m, dy_m]))


def cursor_jump(task: TaskConfig, go_step: int, onset_ms: float, dx_m: float, dy_m: float) -> CursorJump:
    """What the eye gets of the hand is shifted by (``dx_m``, ``dy_m``) from ``onset_ms`` after the go
    cue on (the network sees it one visual delay later)."""
    return CursorJump(steps=slice(onset_step(task, go_step, onset_ms), None), offset=torch.tensor([dx_m, dy_m]))


def silence(sim: Simulator, trials: Trials, sense: str, steps: Steps = slice(0, None)) -> Silence:
    """``sense`` frozen at what it sent at the start of each of ``trials``: it reports a hand that
    never moves (the network's inputs stay in their usual range, unlike a signal of zeros)."""
    with torch.no_grad():
        start = sim.start(trials)
    value = {"vision": start.vision[:, -1], "proprioception": start.proprioception[:, -1]}.get(sense)
    if value is None:
        raise ValueError(f"unknown sense {sense!r}: choose one of {', '.join(SENSES)}")
    return Silence(steps=steps, sense=sense, value=value.cpu())
