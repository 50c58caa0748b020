"""Interventions on hidden states: directions to push along, and how much the hand cares.

The intervention objects themselves (:class:`~motorkit.policy.Perturb`, ``Clamp``, ``ClampSubspace``,
``Replace``) live in :mod:`motorkit.policy`; this module builds their directions and measures their
effect on behaviour against an unperturbed rollout of the same trials.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.decomposition import PCA

from motorkit.fields import ForceField
from motorkit.metrics import endpoint_error
from motorkit.policy import AddDifference, GRUPolicy, Perturb, Transplant
from motorkit.closed_loop import Simulator
from motorkit.rollouts import Rollout, rollout


def pc_directions(pca: PCA, k: int = 3) -> torch.Tensor:
    """The top-``k`` principal axes as unit vectors (k, H)."""
    return torch.as_tensor(pca.components_[:k], dtype=torch.float32)


def random_directions(n: int, hidden: int, seed: int = 0) -> torch.Tensor:
    """``n`` random unit vectors (n, H), seeded: the control for pulses along principal axes."""
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(n, hidden, generator=g)
    return v / v.norm(dim=1, keepdim=True)


def hand_deviation(perturbed: Rollout, base: Rollout) -> np.ndarray:
    """Largest distance (m) between perturbed and unperturbed hand paths, per trial (B,)."""
    return np.linalg.norm(perturbed.hand - base.hand, axis=-1).max(axis=1)


def recovery_time(perturbed: Rollout, base: Rollout, after_step: int, tolerance: float = 0.005) -> np.ndarray:
    """Seconds after ``after_step`` until the hand stays within ``tolerance`` m of its unperturbed path.

    ``nan`` for trials that never come back within the episode (B,).
    """
    distance = np.linalg.norm(perturbed.hand - base.hand, axis=-1)[:, after_step:]
    out = np.full(distance.shape[0], np.nan)
    for b, d in enumerate(distance):
        outside = np.nonzero(d > tolerance)[0]
        if outside.size == 0:
            out[b] = 0.0
        elif outside[-1] < d.size - 1:
            out[b] = (outside[-1] + 1) * perturbed.dt
    return out


# --------------------------------------------------------------------------------------------------
# Chapter 6 (hidden-state interventions): batched pulse sweeps, ablations, transplants, swapped readouts


def random_basis(k: int, hidden: int, seed: int = 0) -> torch.Tensor:
    """A random orthonormal basis (k, H), seeded: the control for ablating ``k`` principal axes."""
    q, _ = torch.linalg.qr(random_directions(k, hidden, seed).T)
    return q.T.contiguous()


def top_variance_units(hidden: np.ndarray, n: int) -> list[int]:
    """The ``n`` units whose activity varies most over trials and steps (hidden (..., H)), largest first."""
    variance = hidden.reshape(-1, hidden.shape[-1]).var(axis=0)
    return [int(u) for u in np.argsort(variance)[::-1][:n]]


def behaviour(perturbed: Rollout, base: Rollout) -> dict[str, float]:
    """What an intervention did to the reach, averaged over trials (cm, m/s):

    endpoint error, signed and absolute lateral deviation, peak speed, and the largest distance from
    the unperturbed hand path (:func:`hand_deviation`).
    """
    m = perturbed.metrics()
    lateral = np.asarray(m["per_target"]["lateral_deviation_cm"])
    return {
        "endpoint_error_cm": m["endpoint_error_cm"],
        "lateral_cm": m["lateral_deviation_cm"],
        "abs_lateral_cm": float(np.abs(lateral).mean()),
        "peak_speed_m_s": m["peak_speed_m_s"],
        "hand_deviation_cm": 100 * float(hand_deviation(perturbed, base).mean()),
    }


@dataclass
class PulseSweep:
    """Pulses added to the hidden state at one step: every direction x size x target, one batched rollout.

    Arrays are indexed [direction, size, target]; ``rollouts[(d, s)]`` holds the 8 trials of one pulse.
    """

    step: int
    labels: list[str]
    sizes: list[float]
    base: Rollout
    rollouts: dict[tuple[int, int], Rollout]
    deviation_m: np.ndarray  # largest distance from the unperturbed hand path
    endpoint_error_m: np.ndarray  # hand-target distance over the last 100 ms
    recovery_s: np.ndarray  # time after the pulse until the hand stays within tolerance (nan: never)


def pulse_sweep(
    sim: Simulator,
    targets: torch.Tensor,
    directions: torch.Tensor,
    labels: Sequence[str],
    step: int,
    sizes: Sequence[float],
    field: ForceField = ForceField(),
    base: Rollout | None = None,
    tolerance: float = 0.01,
    seed: int = 0,
) -> PulseSweep:
    """Pulse the hidden state at ``step`` along each of ``directions`` (n, H, unit) with each of ``sizes``.

    All pulses run as ONE rollout of n x len(sizes) x len(targets) trials (the same trials, repeated),
    so a sweep costs little more than one reach. ``base`` is the unperturbed rollout (computed if None).
    """
    targets = torch.as_tensor(targets, dtype=torch.float32)
    n_dir, n_size, n_tgt = len(directions), len(sizes), len(targets)
    base = rollout(sim, targets, field, seed=seed) if base is None else base
    size = torch.as_tensor(list(sizes), dtype=torch.float32)
    delta = directions[:, None, None, :] * size[None, :, None, None]  # (dir, size, 1, H)
    delta = delta.expand(n_dir, n_size, n_tgt, directions.shape[-1]).reshape(-1, directions.shape[-1])
    batch_targets = targets.repeat(n_dir * n_size, 1)
    record = rollout(sim, batch_targets, field, interventions=[Perturb([step], delta)], seed=seed)
    shape = (n_dir, n_size, n_tgt)
    parts = record.split(n_dir * n_size)
    rollouts = {(d, s): parts[d * n_size + s] for d in range(n_dir) for s in range(n_size)}
    dev = np.stack([hand_deviation(rollouts[d, s], base) for d in range(n_dir) for s in range(n_size)])
    rec = np.stack([recovery_time(rollouts[d, s], base, step, tolerance) for d in range(n_dir) for s in range(n_size)])
    err = endpoint_error(record.hand, record.target, record.dt)
    return PulseSweep(step, list(labels), [float(s) for s in sizes], base, rollouts, dev.reshape(shape),
                      err.reshape(shape), rec.reshape(shape))


def transplant(hidden: np.ndarray | torch.Tensor, basis: np.ndarray | torch.Tensor | None = None,
               steps: Sequence[int] | range | slice = slice(0, None)) -> Transplant:
    """Move the hidden state, at every chosen step, to where ``hidden`` (B, T+1, H) was along ``basis``.

    At step t the state's projection on the orthonormal ``basis`` (k, H) is replaced by that of
    ``hidden[:, t + 1]`` (the state a donor network reached after its update of step t); the rest of the
    state is left alone. ``basis=None`` replaces the whole state. Unlike adding a difference at every
    step, this does not accumulate through the recurrence: the state is SET along the basis.
    """
    donor = torch.as_tensor(np.asarray(hidden), dtype=torch.float32)
    q = None if basis is None else torch.as_tensor(np.asarray(basis), dtype=torch.float32)
    return Transplant(steps, donor, q)


def add_difference(difference: np.ndarray | torch.Tensor,
                   steps: Sequence[int] | range | slice = slice(0, None)) -> AddDifference:
    """Add ``difference[:, t + 1]`` (B, T+1, H) to the hidden state at every chosen step t.

    The naive transplant: what is added at one step is carried on by the recurrence and added again at
    the next, so it accumulates (compare :func:`transplant`).
    """
    return AddDifference(steps, torch.as_tensor(np.asarray(difference), dtype=torch.float32))


def swap_readout(policy: GRUPolicy, donor: GRUPolicy) -> GRUPolicy:
    """A copy of ``policy`` whose readout (hidden -> muscles) is ``donor``'s; the GRU stays ``policy``'s."""
    out = copy.deepcopy(policy)
    out.readout.load_state_dict(donor.readout.state_dict())
    return out


def intervention_effect(sim: Simulator, targets: torch.Tensor, field: ForceField, reference: Rollout,
                        *hooks: object, policy: GRUPolicy | None = None) -> dict[str, float]:
    """What interventions do to the test reaches: :func:`behaviour` of a rollout with ``hooks`` against ``reference``.

    ``policy`` replaces the simulator's policy in the same environment (e.g. a network with another's
    readout, :func:`swap_readout`). Chapter 6 measures every ablation and transplant this way.
    """
    runner = sim if policy is None else Simulator(sim.env, policy)
    run = rollout(runner, targets, field, interventions=list(hooks))
    return behaviour(run, reference)


def median_effect(draws: Sequence[dict[str, float]]) -> dict[str, float]:
    """The median of each measure over draws of a random control (each a :func:`behaviour` dict)."""
    return {k: float(np.median([d[k] for d in draws])) for k in draws[0]}


def deviations_cm(sweep: PulseSweep, size: float, pooled: str = "random") -> dict[str, np.ndarray]:
    """The hand's largest deviation (cm, per target) after the pulses of one ``size``, by direction.

    Directions whose label starts with ``pooled`` (the random controls) are pooled under that name,
    as rows of one array; every other direction keeps its label, in the sweep's order.
    """
    dev = 100 * sweep.deviation_m[:, sweep.sizes.index(size)]  # (directions, targets)
    out: dict[str, np.ndarray] = {label: dev[i] for i, label in enumerate(sweep.labels)
                                  if not label.startswith(pooled)}
    out[pooled] = dev[[i for i, label in enumerate(sweep.labels) if label.startswith(pooled)]]
    return out


def random_transplants(hidden: np.ndarray | torch.Tensor, k: int, n: int, seed: int = 0) -> list[Transplant]:
    """The control of a transplant: ``hidden`` transplanted along ``n`` random ``k``-dimensional subspaces.

    Subspace ``i`` is :func:`random_basis` with seed ``seed + i``, so the control is the same on every run.
    """
    units = hidden.shape[-1]
    return [transplant(hidden, random_basis(k, units, seed + i)) for i in range(n)]


def pulse(sim: Simulator, targets: torch.Tensor, field: ForceField, direction: torch.Tensor, step: int,
          size: float) -> Rollout:
    """The test reaches with one pulse of ``size`` along ``direction`` added to the hidden state at ``step``."""
    return rollout(sim, targets, field, interventions=[Perturb([step], size * direction)])
