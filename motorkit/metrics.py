"""Metrics of reaching, as SCIENCE.md defines them. Inputs are numpy arrays in SI units.

* endpoint error: mean hand-target distance over the last 100 ms of the episode;
* signed lateral deviation: the largest perpendicular distance of the path from the straight
  start-target line, positive to the LEFT of the movement (counter-clockwise side);
* angle at peak velocity: signed angle (deg, counter-clockwise positive) from the start-to-target
  vector to the start-to-hand vector at peak hand speed;
* peak speed: the largest hand speed;
* mean distance: the hand-target distance averaged over the episode (the loss's position term).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def endpoint_error(fingertip: np.ndarray, target: np.ndarray, dt: float, window: float = 0.1) -> np.ndarray:
    """Mean distance (m) between hand and target over the last ``window`` seconds, per trial (B,)."""
    n = max(1, int(round(window / dt)))
    return np.linalg.norm(fingertip[:, -n:] - target[:, None], axis=-1).mean(axis=1)


def _frame(fingertip: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, unit movement direction and its left normal per trial."""
    start = fingertip[:, 0]
    direction = target - start
    length = np.linalg.norm(direction, axis=-1, keepdims=True)
    if np.any(length == 0):
        raise ValueError("a trial's target equals its start: the movement direction is undefined")
    u = direction / length
    left = np.stack([-u[:, 1], u[:, 0]], axis=-1)
    return start, u, left


def lateral_deviation(fingertip: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Signed maximum perpendicular deviation (m) from the start-target line, + to the left (B,)."""
    start, _, left = _frame(fingertip, target)
    perp = np.einsum("btk,bk->bt", fingertip - start[:, None], left)
    idx = np.abs(perp).argmax(axis=1)
    return perp[np.arange(len(perp)), idx]


def peak_speed(velocity: np.ndarray) -> np.ndarray:
    """Largest hand speed (m/s) per trial (B,)."""
    return np.linalg.norm(velocity, axis=-1).max(axis=1)


def angle_at_peak_velocity(fingertip: np.ndarray, velocity: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Signed angle (deg, CCW +) between start->target and start->hand at peak speed (B,)."""
    start, u, left = _frame(fingertip, target)
    idx = np.linalg.norm(velocity, axis=-1).argmax(axis=1)
    hand = fingertip[np.arange(len(idx)), idx] - start
    return np.degrees(np.arctan2((hand * left).sum(-1), (hand * u).sum(-1)))


def mean_distance(fingertip: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Hand-target distance (m) averaged over the episode's steps: the training loss's position term (B,)."""
    return np.linalg.norm(fingertip[:, 1:] - target[:, None], axis=-1).mean(axis=1)


def summarize(fingertip: np.ndarray, velocity: np.ndarray, target: np.ndarray, dt: float) -> dict[str, Any]:
    """All metrics per trial (lists, in cm, deg, m/s) and their means over trials."""
    per_trial = {
        "endpoint_error_cm": 100 * endpoint_error(fingertip, target, dt),
        "lateral_deviation_cm": 100 * lateral_deviation(fingertip, target),
        "angle_at_peak_velocity_deg": angle_at_peak_velocity(fingertip, velocity, target),
        "peak_speed_m_s": peak_speed(velocity),
        "mean_distance_cm": 100 * mean_distance(fingertip, target),
    }
    summary: dict[str, Any] = {name: float(values.mean()) for name, values in per_trial.items()}
    summary["per_target"] = {name: values.round(6).tolist() for name, values in per_trial.items()}
    return summary
