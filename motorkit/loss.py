"""The loss: named, weighted terms of a differentiable episode.

Each term is a mean over the trials of a batch and the steps of an episode (:func:`episode_terms`):

* ``distance``: the poster's Euclidean hand-goal distance (m), counted where the task's
  :class:`~motorkit.tasks.Schedule` asks for the position: holding the start before the go cue, and
  at the target from ``movement_time`` after it;
* ``effort``: the squared muscle commands (the network's outputs, in [0, 1]);
* ``smoothness``: the squared hand jerk, (m/s^3)^2, the cost whose minimum is Flash & Hogan's
  straight, bell-shaped reach;
* ``hidden``: the squared hidden activity of the network.

The loss is their weighted sum, ``LossWeights.total``. :func:`episode_loss` runs an episode through
the closed loop's driver (:class:`motorkit.closed_loop.EpisodeRunner`, compiled in chunks of
``unroll`` steps) and returns the terms by name; the training step
(:func:`motorkit.training.train_step`) weighs them and backpropagates through the body.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple, Sequence

import torch

from motorkit.closed_loop import EpisodeRunner, Noise, Trace
from motorkit.ensemble import networks
from motorkit.fields import HandLoad
from motorkit.metrics import jerk
from motorkit.policy import Intervention
from motorkit.tasks import Schedule, Trials

#: The loss terms, in the order :func:`episode_terms` computes them.
TERMS: tuple[str, ...] = ("distance", "effort", "smoothness", "hidden")


def episode_terms(out: Trace, schedule: Schedule, dt: float, networks: int = 1) -> torch.Tensor:
    """The loss terms (len(TERMS), networks) of an episode's outputs (T, B, ...) under its ``schedule``:
    each network's own, when ``networks`` were trained together (their trials member-major)."""
    def own(x: torch.Tensor) -> torch.Tensor:  # (T, networks, trials of one, ...)
        return x.unflatten(1, (networks, -1))

    hand, velocity = own(out.hand[..., :2]), own(out.hand[..., 2:])
    gap = torch.linalg.vector_norm(hand - own(schedule.goal), dim=-1)
    weight = own(schedule.weight)
    distance = (weight * gap).sum((0, 2)) / weight.sum((0, 2))
    effort = own(out.command).square().mean((0, 2, 3))
    smoothness = jerk(velocity, dt).square().sum(-1).mean((0, 2))
    return torch.stack([distance, effort, smoothness, own(out.hidden).square().mean((0, 2, 3))])


@dataclass(frozen=True)
class LossWeights:
    """The weight of each term in the loss (distance is the poster's term; the others are penalties)."""

    distance: float = 1.0
    effort: float = 0.0
    smoothness: float = 0.0
    hidden: float = 0.0

    def total(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        """The loss: the weighted sum of the ``terms`` (of each network, for terms with one value per network)."""
        return sum(getattr(self, f.name) * terms[f.name] for f in fields(self))

    @classmethod
    def stack(cls, weights: Sequence["LossWeights"]) -> "LossWeights":
        """The weights of several networks trained together, each term's as a tensor (networks,)."""
        return cls(**{f.name: torch.tensor([getattr(w, f.name) for w in weights]) for f in fields(cls)})


class Batch(NamedTuple):
    """One batch of trials: the trials, each trial's force law and the episode's noise."""

    trials: Trials
    load: HandLoad
    noise: Noise

    @classmethod
    def stack(cls, batches: Sequence["Batch"]) -> "Batch":
        """The batches of networks trained together as one, member-major (noise is time-first)."""
        if len(batches) == 1:
            return batches[0]
        trials = Trials(*(torch.cat(x) for x in zip(*(b.trials for b in batches))))
        load = HandLoad(*(torch.cat(x) for x in zip(*(b.load for b in batches))))
        noise = Noise(*(torch.cat(x, dim=1) for x in zip(*(b.noise for b in batches))))
        return cls(trials, load, noise)


def episode_loss(runner: EpisodeRunner, batch: Batch,
                 interventions: Sequence[Intervention] = ()) -> dict[str, torch.Tensor]:
    """The loss terms of an episode by name, each (networks,): every network's average over its own
    steps and trials (one network, unless the runner's policy is an ensemble: :mod:`motorkit.ensemble`).

    ``interventions`` act on the hidden state as in tests: constraints the network learns under.
    """
    out, schedule, _ = runner.run(batch.trials, batch.load, batch.noise, interventions)
    terms = episode_terms(out, schedule, runner.sim.env.config.dt, len(networks(runner.sim.policy)))
    return dict(zip(TERMS, terms))
