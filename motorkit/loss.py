"""The loss: named, weighted terms of a differentiable episode.

Each term is a mean over the trials of a batch and the steps of an episode (:func:`episode_terms`):

* ``distance``: the poster's Euclidean hand-goal distance (m), counted where the task's
  :class:`~motorkit.tasks.Schedule` asks for the position: holding the start before the go cue, and
  at the target from ``movement_time`` after it;
* ``effort``: the squared muscle commands (the network's outputs, in [0, 1]);
* ``smoothness``: the squared hand jerk, (m/s^3)^2, the cost whose minimum is Flash & Hogan's
  straight, bell-shaped reach;
* ``hidden``: the squared hidden activity of the network.

The loss is their weighted sum, ``LossWeights.total``. :class:`EpisodeLoss` runs the closed loop
over an episode (compiled in chunks of ``unroll`` steps) and returns the terms by name; the training
step (:func:`motorkit.training.train_step`) weighs them and backpropagates through the body.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import partial
from typing import Callable, NamedTuple

import torch

from motorkit.closed_loop import Noise, Simulator, State, announce_eager_fallback
from motorkit.fields import HandLoad
from motorkit.policy import ClampSubspace
from motorkit.tasks import Schedule, Trials

#: Inductor's options for the episode: a C++ wrapper calls the kernels (measured: 10% faster per batch at
#: batch 64 than the Python wrapper, and the cold compile stays under 30 s; benchmarks/README.md).
COMPILE_OPTIONS: dict[str, object] = {"cpp_wrapper": True}

#: The loss terms, in the order :func:`episode_terms` computes them.
TERMS: tuple[str, ...] = ("distance", "effort", "smoothness", "hidden")


class Trace(NamedTuple):
    """What the loss reads of an episode, each step's (T, B, ...): only this leaves the compiled chunks."""

    command: torch.Tensor  # (T, B, M) policy output
    cartesian: torch.Tensor  # (T, B, 4) hand position and velocity after each step
    hidden: torch.Tensor  # (T, B, H) hidden state after each step


def episode_terms(out: Trace, schedule: Schedule, dt: float) -> torch.Tensor:
    """The loss terms (len(TERMS),) of an episode's outputs (T, B, ...) under its ``schedule``."""
    hand, velocity = out.cartesian[..., :2], out.cartesian[..., 2:]
    gap = torch.linalg.vector_norm(hand - schedule.goal, dim=-1)
    distance = (schedule.weight * gap).sum() / schedule.weight.sum()
    v = torch.cat([torch.zeros_like(velocity[:2]), velocity])  # the hand is at rest before the first step
    jerk = (v[2:] - 2 * v[1:-1] + v[:-2]) / dt**2
    return torch.stack([distance, out.command.square().mean(), jerk.square().sum(-1).mean(),
                        out.hidden.square().mean()])


@dataclass(frozen=True)
class LossWeights:
    """The weight of each term in the loss (distance is the poster's term; the others are penalties)."""

    distance: float = 1.0
    effort: float = 0.0
    smoothness: float = 0.0
    hidden: float = 0.0

    def total(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        """The loss: the weighted sum of the ``terms``."""
        return sum(getattr(self, f.name) * terms[f.name] for f in fields(self))


class Batch(NamedTuple):
    """One batch of trials: the trials, each trial's force law and the episode's noise."""

    trials: Trials
    field: HandLoad
    noise: Noise


class EpisodeLoss:
    """The differentiable episode: ``unroll`` steps per (compiled) call, then the loss terms.

    ``clamp`` holds part of the hidden state fixed at the steps of its window, in every episode: a
    constraint the network learns under (:class:`~motorkit.policy.ClampSubspace`).
    """

    def __init__(self, sim: Simulator, unroll: int = 2, compile: bool = True, clamp: ClampSubspace | None = None):
        self.sim, self.unroll, self.clamp = sim, unroll, clamp
        self.fn: Callable[..., tuple[State, Trace]] = self.chunk
        if compile:
            self.fn = torch.compile(self.chunk, dynamic=False, options=COMPILE_OPTIONS)
        self.compiled = compile

    def chunk(self, state: State, cue: torch.Tensor, field: HandLoad,
              noise: Noise, window: torch.Tensor | None = None) -> tuple[State, Trace]:
        """``unroll`` steps: the new state and each step's trace (stacked, time first).
        ``window`` (unroll,) switches the clamp on (1) or off (0) at each step."""
        outs = []
        for k in range(self.unroll):
            hook = None if window is None else partial(self.clamp.apply, on=window[k])
            state, out = self.sim.step(state, cue[k], field, Noise(*(n[k] for n in noise)), hook)
            outs.append(Trace(out.command, out.cartesian, out.hidden))
        return state, Trace(*(torch.stack(x) for x in zip(*outs)))

    def run(self, batch: Batch) -> tuple[Trace, Schedule]:
        """The whole episode: every step's outputs (T, B, ...) and the trials' schedule."""
        cfg = self.sim.env.config
        noise = batch.noise
        n_steps = noise.action.shape[0]
        schedule = batch.trials.schedule(n_steps, cfg.dt, cfg.movement_time)
        state = self.sim.start(batch.trials)
        if torch.is_grad_enabled():  # every chunk then sees inputs that require grad: one compiled graph, not two
            state = State(*(s.detach().requires_grad_() for s in state))
        window = None if self.clamp is None else self.clamp.window(n_steps).to(state.hidden)
        outs = []
        for t0 in range(0, n_steps, self.unroll):
            part = slice(t0, t0 + self.unroll)
            args = (state, schedule.cue[part], batch.field, Noise(*(n[part] for n in noise)),
                    None if window is None else window[part])
            try:
                state, out = self.fn(*args)
            except Exception as exc:  # compiler missing or failing: announce once, go eager
                if not self.compiled:
                    raise
                announce_eager_fallback(exc)
                self.fn, self.compiled = self.chunk, False
                state, out = self.fn(*args)
            outs.append(out)
        return Trace(*(torch.cat(x) for x in zip(*outs))), schedule

    def __call__(self, batch: Batch) -> dict[str, torch.Tensor]:
        """The loss terms of an episode by name, each averaged over its steps and trials."""
        out, schedule = self.run(batch)
        return dict(zip(TERMS, episode_terms(out, schedule, self.sim.env.config.dt)))
