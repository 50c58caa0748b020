"""The loss: named, weighted terms, summed over the steps of a differentiable episode.

Each term is a mean over the trials of a batch and the steps of an episode:

* ``distance``: the poster's Euclidean hand-target distance (m);
* ``effort``: the squared muscle commands (the network's outputs, in [0, 1]);
* ``hidden``: the squared hidden activity of the network.

The loss is their weighted sum, ``LossWeights.total``. :class:`EpisodeLoss` runs the closed loop
over an episode (compiled in chunks of ``unroll`` steps) and returns the terms by name; the training
step (:func:`motorkit.training.train_step`) weighs them and backpropagates through the body.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable, NamedTuple

import torch

from motorkit.closed_loop import Noise, Simulator, State, StepOutput, announce_eager_fallback

#: Inductor's options for the episode: a C++ wrapper calls the kernels (measured: 10% faster per batch at
#: batch 64 than the Python wrapper, and the cold compile stays under 30 s; benchmarks/README.md).
COMPILE_OPTIONS: dict[str, object] = {"cpp_wrapper": True}

#: The loss terms, in the order the compiled episode computes them.
TERMS: tuple[str, ...] = ("distance", "effort", "hidden")


def step_terms(hand: torch.Tensor, target: torch.Tensor, command: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
    """The loss terms of one time step (len(TERMS),), each a mean over the batch."""
    distance = torch.linalg.vector_norm(hand - target, dim=-1).mean()
    return torch.stack([distance, command.square().mean(), hidden.square().mean()])


@dataclass(frozen=True)
class LossWeights:
    """The weight of each term in the loss (distance is the poster's term; the others are penalties)."""

    distance: float = 1.0
    effort: float = 1e-3
    hidden: float = 0.0

    def total(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        """The loss: the weighted sum of the ``terms``."""
        return sum(getattr(self, f.name) * terms[f.name] for f in fields(self))


class Batch(NamedTuple):
    """One batch of trials: targets (B, 2), per-trial field matrices (B, 2, 2) and the episode's noise."""

    targets: torch.Tensor
    matrices: torch.Tensor
    noise: Noise


class EpisodeLoss:
    """The differentiable episode: ``unroll`` steps per (compiled) call, loss terms summed in-graph."""

    def __init__(self, sim: Simulator, unroll: int = 2, compile: bool = True, outputs: bool = False):
        self.sim, self.unroll, self.outputs = sim, unroll, outputs
        self.fn: Callable[..., tuple[State, torch.Tensor, StepOutput | None]] = self.chunk
        if compile:
            self.fn = torch.compile(self.chunk, dynamic=False, options=COMPILE_OPTIONS)
        self.compiled = compile

    def chunk(
        self, state: State, target: torch.Tensor, matrices: torch.Tensor, noise: Noise
    ) -> tuple[State, torch.Tensor, StepOutput | None]:
        """``unroll`` steps: the new state, the summed loss terms and, if ``outputs``, each step's outputs."""
        terms, outs = [], []
        for k in range(self.unroll):
            state, out = self.sim.step(state, target, matrices, Noise(*(n[k] for n in noise)))
            terms.append(step_terms(out.cartesian[:, :2], target, out.command, state.hidden))
            outs.append(out)
        steps = StepOutput(*(torch.stack(x) for x in zip(*outs))) if self.outputs else None
        return state, torch.stack(terms).sum(0), steps

    def __call__(self, batch: Batch) -> dict[str, torch.Tensor]:
        """The loss terms of an episode by name, each averaged over its steps and trials."""
        noise = batch.noise
        state = self.sim.start(batch.targets)
        if torch.is_grad_enabled():  # every chunk then sees inputs that require grad: one compiled graph, not two
            state = State(*(s.detach().requires_grad_() for s in state))
        total = torch.zeros(len(TERMS), device=batch.targets.device)
        for t0 in range(0, noise.action.shape[0], self.unroll):
            chunk_noise = Noise(*(n[t0:t0 + self.unroll] for n in noise))
            try:
                state, terms, _ = self.fn(state, batch.targets, batch.matrices, chunk_noise)
            except Exception as exc:  # compiler missing or failing: announce once, go eager
                if not self.compiled:
                    raise
                announce_eager_fallback(exc)
                self.fn, self.compiled = self.chunk, False
                state, terms, _ = self.fn(state, batch.targets, batch.matrices, chunk_noise)
            total = total + terms
        return dict(zip(TERMS, total / noise.action.shape[0]))
