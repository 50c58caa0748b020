"""Generalization: what a network learned in some movements does in movements it never practised.

The classic probes of human motor learning, as functions of trained networks:

* **Force channels** (:class:`motorkit.fields.ForceChannel`) measure the force a network predicts,
  reach by reach: :func:`channel_indices` gives the adaptation index of each test direction.
* **Directions** (Gandolfo et al. 1996; Thoroughman & Shadmehr 2000): adapt on a few directions,
  then :func:`generalization_function` normalises the index of every direction to the trained
  ones and orders it by angular distance; :func:`half_width` says how fast it falls.
* **Workspace** (Shadmehr & Mussa-Ivaldi 1994): after adapting at one posture, is the field the
  network expects at another posture the same in hand coordinates (*extrinsic*), or the one that
  gives the same joint torques for the same joint velocities (*intrinsic*,
  :func:`joint_equivalent_field`)? Each hypothesis predicts the after-effects: a network that
  expects a field F behaves without it like a naive network in the field -F (chapter 3's mirror
  image); :func:`path_distance` and :func:`channel_force_distance` measure how far each prediction
  is from the real after-effects and channel forces.
* **Reach length, posture and timing** of the null network itself: :func:`start_grid_trials`
  batches many start postures into one rollout, :func:`with_task` runs a policy on a task it was
  not trained on (longer episodes, a later go cue).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Sequence

import numpy as np
import torch

from motorkit.adaptation import adaptation_config
from motorkit.bodies import posture_to_joint
from motorkit.effectors import hand_jacobian
from motorkit.fields import ForceChannel, ForceField
from motorkit.rollouts import Rollout, rollout
from motorkit.tasks import CentreOutReach, Trials, test_directions
from motorkit.training import TrainConfig, TrainResult


def local_adaptation_config(null: TrainResult, directions: Sequence[float], start: Sequence[float] | None = None,
                            reach: float | None = None, field: str = "cw", strength: float = 8.0,
                            batches: int = 200, **overrides: Any) -> TrainConfig:
    """Chapter 3's adaptation, narrowed like a human experiment: one start posture, a few directions.

    Every trial starts at ``start`` (default: the test posture) and reaches exactly ``reach`` (default:
    the task's) in one of ``directions`` (deg from +x); the network learns from the null weights.
    """
    if not directions:
        raise ValueError("name at least one trained direction (deg)")
    start = None if start is None else tuple(float(x) for x in start)
    return adaptation_config(null.config, field, strength, batches, init=str(null.out), starts="fixed",
                             start=start, directions=tuple(float(d) for d in directions), reach=reach,
                             **overrides)


def channel_indices(result: TrainResult, field: ForceField, start: Sequence[float] | None = None,
                    reach: float | None = None) -> np.ndarray:
    """The adaptation index for ``field`` of each test direction (8,), measured on force-channel trials."""
    record = result.evaluate(ForceChannel(), start=start, reach=reach)
    return np.array([record.take([i]).adaptation_index(field) for i in range(len(record))])


def angular_distance(directions_deg: np.ndarray | Sequence[float], trained_deg: float) -> np.ndarray:
    """Signed angle (deg) from ``trained_deg`` to each direction, wrapped into (-180, 180]."""
    d = (np.asarray(directions_deg, dtype=float) - trained_deg + 180.0) % 360.0 - 180.0
    return np.where(d == -180.0, 180.0, d)


def generalization_function(indices: np.ndarray, trained_deg: Sequence[float],
                            directions_deg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Angular distance to the nearest trained direction (deg, signed) and the normalised index.

    The index of every test direction is divided by the mean index of the trained directions, so a
    trained direction reads 1. Returned in order of distance, sorted from -180 to 180 deg.
    """
    directions_deg = np.degrees(test_directions(len(indices))) if directions_deg is None else directions_deg
    trained = [float(t) for t in trained_deg]
    on_trained = [int(np.argmin(np.abs(angular_distance(directions_deg, t)))) for t in trained]
    if any(abs(angular_distance([directions_deg[i]], t)[0]) > 1e-6 for i, t in zip(on_trained, trained)):
        raise ValueError(f"every trained direction must be a test direction, got {trained}")
    reference = float(np.mean(indices[on_trained]))
    if not reference > 0:
        raise ValueError(f"the trained directions show no adaptation (index {reference:.3f}): nothing to normalise")
    distances = np.stack([angular_distance(directions_deg, t) for t in trained])
    nearest = distances[np.argmin(np.abs(distances), axis=0), np.arange(len(indices))]
    order = np.argsort(nearest)
    return nearest[order], np.asarray(indices, dtype=float)[order] / reference


def by_distance(distances: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct distances (sorted) and the mean of the values at each: one point per angle."""
    distances, values = np.asarray(distances, dtype=float), np.asarray(values, dtype=float)
    unique = np.unique(distances)
    return unique, np.array([values[distances == d].mean() for d in unique])


def half_width(distances: np.ndarray, values: np.ndarray) -> float:
    """Angular distance (deg) at which the generalization function, averaged over both sides, first falls to 0.5.

    Linear interpolation between the tested distances; ``inf`` if it never falls that far.
    """
    grid, sides = by_distance(np.abs(distances), values)
    below = np.flatnonzero(sides < 0.5)
    if len(below) == 0:
        return math.inf
    i = int(below[0])
    if i == 0:
        return 0.0
    return float(np.interp(0.5, [sides[i], sides[i - 1]], [grid[i], grid[i - 1]]))


def joint_equivalent_field(matrix: np.ndarray, jacobian_from: np.ndarray, jacobian_to: np.ndarray) -> np.ndarray:
    """The hand-space viscous matrix at a new posture that gives the same joint torques for the same joint velocities.

    At the trained posture F = B v with v = J_a q', so the joint torque is J_a^T B J_a q' (Shadmehr &
    Mussa-Ivaldi 1994's intrinsic field). At the new posture the same torque-velocity law reads
    F = J_b^-T (J_a^T B J_a) J_b^-1 v.
    """
    joint_matrix = jacobian_from.T @ np.asarray(matrix, dtype=float) @ jacobian_from
    inverse = np.linalg.inv(jacobian_to)
    return inverse.T @ joint_matrix @ inverse


def posture_jacobian(env: CentreOutReach, start_deg: Sequence[float]) -> np.ndarray:
    """The arm's hand Jacobian (2, 2) at a posture given as (shoulder, elbow) degrees."""
    return hand_jacobian(env.effector, posture_to_joint("arm26", start_deg))[0].numpy()


def path_distance(a: Rollout, b: Rollout) -> float:
    """Mean distance (cm) between the hand paths of two rollouts of the same trials, over trials and time."""
    if a.hand.shape != b.hand.shape:
        raise ValueError(f"rollouts of different trials: {a.hand.shape} and {b.hand.shape}")
    return float(100 * np.linalg.norm(a.hand - b.hand, axis=-1).mean())


def channel_force_distance(a: Rollout, b: Rollout) -> float:
    """Root-mean-square difference (N) between the channel forces of two channel rollouts of the same trials."""
    fa, fb = a.channel_force(), b.channel_force()
    if fa.shape != fb.shape:
        raise ValueError(f"rollouts of different trials: {fa.shape} and {fb.shape}")
    return float(np.sqrt(np.mean((fa - fb) ** 2)))


def start_grid_trials(env: CentreOutReach, starts: Sequence[Sequence[float]],
                      reach: float | None = None) -> tuple[Trials, list[tuple[float, float]]]:
    """The 8-target test set from every start in ``starts`` that it fits (all targets reachable), in one batch.

    Returns the trials (8 per kept start, consecutive) and the kept starts, in order.
    """
    parts, kept = [], []
    for start in starts:
        try:
            parts.append(env.test_trials(start, reach))
        except ValueError:  # outside the joint limits, or a target out of reach: not part of the test
            continue
        kept.append((float(start[0]), float(start[1])))
    if not parts:
        raise ValueError("no start of the grid fits the test set")
    return Trials(*(torch.cat(x) for x in zip(*parts))), kept


def with_task(result: TrainResult, **changes: Any) -> TrainResult:
    """The same trained policy on a changed task (e.g. ``duration``, ``delay``): nothing is retrained."""
    config = replace(result.config, **changes)
    return replace(result, env=CentreOutReach(config.task_config()), config=config)


def reach_toward(result: TrainResult, angle_deg: float) -> Rollout:
    """The test reaches plus one more, of the task's length from the test start in direction ``angle_deg``,
    in the null field; the extra reach is the last trial (index 8 of the 8-target test set)."""
    env = result.env
    rad = np.radians(angle_deg)
    goal = env.start + env.config.reach_m * torch.tensor([[np.cos(rad), np.sin(rad)]], dtype=torch.float32)
    targets = torch.cat([env.test_targets(), goal])
    return rollout(result.simulator, targets, ForceField("null"))
