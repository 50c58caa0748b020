"""Metrics of reaching, as book/conventions.md defines them. Inputs are numpy arrays in SI units.

* endpoint error: mean hand-target distance over the last 100 ms of the episode;
* signed lateral deviation: the largest perpendicular distance of the path from the straight
  start-target line, positive to the LEFT of the movement (counter-clockwise side), and its size;
* angle at peak velocity: signed angle (deg, counter-clockwise positive) from the start-to-target
  vector to the start-to-hand vector at peak hand speed;
* peak speed: the largest hand speed;
* mean distance: the hand-target distance averaged over the whole episode (the poster's loss);
* channel force: on force-channel trials, the force the hand presses into the channel wall, + to the left;
* reaction time: from the go cue to 10 % of the peak speed after it; drift before the cue: the hand's
  largest distance from its start before the cue (the whole trial for a no-go trial);
* adaptation index: the regression of the channel force on the force that would cancel the learned
  field at the speed along the channel, 0 for a naive controller and 1 for full compensation (Smith
  et al. 2006's adaptation coefficient).
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import torch

ArrayLike = TypeVar("ArrayLike", np.ndarray, torch.Tensor)


def endpoint_error(hand: np.ndarray, target: np.ndarray, dt: float, window: float = 0.1) -> np.ndarray:
    """Mean distance (m) between hand and target over the last ``window`` seconds, per trial (B,)."""
    n = max(1, int(round(window / dt)))
    return np.linalg.norm(hand[:, -n:] - target[:, None], axis=-1).mean(axis=1)


def _frame(hand: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, unit movement direction and its left normal per trial."""
    start = hand[:, 0]
    direction = target - start
    length = np.linalg.norm(direction, axis=-1, keepdims=True)
    if np.any(length == 0):
        raise ValueError("a trial's target equals its start: the movement direction is undefined")
    u = direction / length
    left = np.stack([-u[:, 1], u[:, 0]], axis=-1)
    return start, u, left


def lateral_deviation(hand: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Signed maximum perpendicular deviation (m) from the start-target line, + to the left (B,)."""
    start, _, left = _frame(hand, target)
    perp = np.einsum("btk,bk->bt", hand - start[:, None], left)
    idx = np.abs(perp).argmax(axis=1)
    return perp[np.arange(len(perp)), idx]


def peak_speed(velocity: np.ndarray) -> np.ndarray:
    """Largest hand speed (m/s) per trial (B,)."""
    return np.linalg.norm(velocity, axis=-1).max(axis=1)


def angle_at_peak_velocity(hand: np.ndarray, velocity: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Signed angle (deg, CCW +) between start->target and start->hand at peak speed (B,)."""
    start, u, left = _frame(hand, target)
    idx = np.linalg.norm(velocity, axis=-1).argmax(axis=1)
    offset = hand[np.arange(len(idx)), idx] - start
    return np.degrees(np.arctan2((offset * left).sum(-1), (offset * u).sum(-1)))


def mean_distance(hand: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Hand-target distance (m) averaged over all the episode's steps: the poster's loss (B,)."""
    return np.linalg.norm(hand[:, 1:] - target[:, None], axis=-1).mean(axis=1)


def channel_force(load: np.ndarray, hand: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The lateral force (N) the hand presses into a force channel, + to the left of the movement (B, T).

    The channel's wall pushes with ``load`` (B, T, 2); the hand presses back with its opposite.
    """
    _, _, left = _frame(hand, target)
    return -np.einsum("btk,bk->bt", load, left)


def ideal_channel_force(velocity: np.ndarray, hand: np.ndarray, target: np.ndarray,
                        matrix: np.ndarray) -> np.ndarray:
    """The lateral force (N, + left) that would cancel the field F = ``matrix`` v at each step (B, T).

    ``velocity`` (B, T, 2) is the hand velocity at the start of each step (the one the field acts on);
    in a channel the hand moves along the line, so the field would push with ``matrix`` (v·u) u.
    """
    _, u, left = _frame(hand, target)
    along = np.einsum("btk,bk->bt", velocity, u)
    field_lateral = np.einsum("bk,kj,bj->b", left, np.asarray(matrix, dtype=float), u)  # n^T B u per trial
    return -field_lateral[:, None] * along


def adaptation_index(measured: np.ndarray, ideal: np.ndarray) -> float:
    """Least-squares slope (through the origin) of the channel force on the ideal force, all trials and steps.

    0: no force against the field (a naive controller); 1: the field fully predicted.
    """
    scale = float(np.sum(np.square(ideal)))
    if scale == 0.0:
        raise ValueError("the ideal force is zero everywhere (no movement, or a null field): no index")
    return float(np.sum(measured * ideal) / scale)


def reaction_time(velocity: np.ndarray, go: np.ndarray, dt: float, fraction: float = 0.1) -> np.ndarray:
    """Seconds from the go cue until the hand's speed first reaches ``fraction`` of its peak after the cue,
    per trial (B,); NaN for a trial without a cue. ``go`` (B,) is each trial's cue step, ``velocity``
    (B, T+1, 2) starts at rest (index k: after k steps)."""
    speed = np.linalg.norm(velocity, axis=-1)
    times = np.full(len(speed), np.nan)
    for b, (s, g) in enumerate(zip(speed, np.asarray(go))):
        after = s[g + 1:]
        if after.size and after.max() > 0:
            times[b] = dt * (1 + np.argmax(after >= fraction * after.max()))
    return times


def drift_before_cue(hand: np.ndarray, go: np.ndarray) -> np.ndarray:
    """The largest distance (m) of the hand from its start before each trial's go cue (step ``go`` (B,);
    the whole trial for a no-go trial, whose cue never comes) (B,)."""
    away = np.linalg.norm(hand - hand[:, :1], axis=-1)
    return np.array([a[: g + 1].max() for a, g in zip(away, np.asarray(go))])


def endpoints(hand: np.ndarray, dt: float, window: float = 0.1) -> np.ndarray:
    """Where each trial ends (m): the hand's mean position over the last ``window`` s, (..., 2)."""
    n = max(1, int(round(window / dt)))
    return hand[..., -n:, :].mean(axis=-2)


def endpoint_scatter(hand: np.ndarray, dt: float, window: float = 0.1) -> float:
    """How far (m) the endpoints (:func:`endpoints`) of repeats of one reach lie from their mean, on
    average: the spread that noise leaves."""
    ends = endpoints(hand, dt, window)
    return float(np.linalg.norm(ends - ends.mean(axis=0), axis=-1).mean())


def summarize(hand: np.ndarray, velocity: np.ndarray, target: np.ndarray, dt: float) -> dict[str, Any]:
    """All metrics per trial (lists, in cm, deg, m/s) and their means over trials."""
    lateral = 100 * lateral_deviation(hand, target)
    per_trial = {
        "endpoint_error_cm": 100 * endpoint_error(hand, target, dt),
        "lateral_deviation_cm": lateral,
        "abs_lateral_deviation_cm": np.abs(lateral),
        "angle_at_peak_velocity_deg": angle_at_peak_velocity(hand, velocity, target),
        "peak_speed_m_s": peak_speed(velocity),
        "mean_distance_cm": 100 * mean_distance(hand, target),
    }
    summary: dict[str, Any] = {name: float(values.mean()) for name, values in per_trial.items()}
    summary["per_target"] = {name: values.round(6).tolist() for name, values in per_trial.items()}
    return summary


def minimum_jerk_speed(t: np.ndarray, onset: float, duration: float, distance: float) -> np.ndarray:
    """Speed (m/s) of a minimum-jerk movement (Flash & Hogan 1985) of ``distance`` m at times ``t`` (s).

    The bell ``30 s^2 (1 - s)^2 distance / duration`` for ``s = (t - onset) / duration`` in [0, 1], else 0.
    """
    s = (np.asarray(t, dtype=float) - onset) / duration
    return np.where((s > 0) & (s < 1), 30 * s**2 * (1 - s) ** 2 * distance / duration, 0.0)


def speed_profile(velocity: np.ndarray, dt: float, end_window: float = 0.1) -> dict[str, np.ndarray]:
    """How bell-shaped each trial's speed profile is (per trial, (B,) arrays).

    * ``bell_r2``: the fraction of the speed's variance explained by the best minimum-jerk bell
      (:func:`minimum_jerk_speed`; onset anywhere up to 100 ms before the end, duration 100-800 ms and
      distance fitted by least squares over the whole episode), with ``bell_onset_s``,
      ``bell_duration_s`` (the movement time) and ``bell_distance_m``;
    * ``peak_time_s``: time of peak speed; ``peaks_above_half``: local maxima above half the peak;
    * ``end_speed_fraction``: the largest speed over the last ``end_window`` s, over the peak speed.
    """
    speed = np.linalg.norm(velocity, axis=-1)  # (B, T)
    t = np.arange(speed.shape[1]) * dt
    last_onset = max(0.0, t[-1] - 0.1)
    onsets, durations = np.meshgrid(np.arange(0.0, last_onset + 1e-9, dt / 2), np.arange(0.1, 0.8 + 1e-9, dt / 2))
    onsets, durations = onsets.ravel(), durations.ravel()
    bells = minimum_jerk_speed(t[None], onsets[:, None], durations[:, None], 1.0)  # (K, T), unit distance
    inside = (bells**2).sum(axis=1) > 0  # bells that start within the episode
    onsets, durations, bells = onsets[inside], durations[inside], bells[inside]
    projection = bells @ speed.T  # (K, B)
    norm = (bells**2).sum(axis=1)[:, None]
    centred = ((speed - speed.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    centred = np.where(centred > 0, centred, np.nan)  # a hand that never moves has no profile: R^2 is NaN
    # residual of the least-squares fit: |v|^2 - (g.v)^2 / |g|^2
    residual = (speed**2).sum(axis=1)[None] - projection**2 / norm
    best = residual.argmin(axis=0)
    trials = np.arange(speed.shape[0])
    peak = np.where(speed.max(axis=1) > 0, speed.max(axis=1), np.nan)
    inner = speed[:, 1:-1]
    is_peak = (inner > speed[:, :-2]) & (inner >= speed[:, 2:]) & (inner > 0.5 * peak[:, None])
    n_end = max(1, int(round(end_window / dt)))
    return {
        "bell_r2": 1 - residual[best, trials] / centred,
        "bell_onset_s": onsets[best],
        "bell_duration_s": durations[best],
        "bell_distance_m": projection[best, trials] / norm[best, 0],
        "peak_time_s": speed.argmax(axis=1) * dt,
        "peaks_above_half": is_peak.sum(axis=1),
        "end_speed_fraction": speed[:, -n_end:].max(axis=1) / peak,
    }


#: The book's criteria of a natural reach (book/conventions.md): straight (mean and largest |lateral
#: deviation| in cm on the test set) and bell-shaped (every speed profile fits a minimum-jerk bell
#: with at least this R^2, with a single peak).
NATURAL_LATERAL_MEAN_CM: float = 0.4
NATURAL_LATERAL_MAX_CM: float = 0.8
NATURAL_BELL_R2: float = 0.95

#: Human 10 cm reaches (book/conventions.md): peak hand speed (m/s) and movement time (s); a minimum-jerk
#: reach of D in T peaks at 1.875 D / T (Flash & Hogan 1985), about 0.375 m/s for 10 cm in 0.5 s, and
#: human 10 cm reaches take about 0.5 s (Sing et al. 2009).
HUMAN_PEAK_SPEED_M_S: tuple[float, float] = (0.25, 0.55)
HUMAN_MOVEMENT_TIME_S: tuple[float, float] = (0.35, 0.7)


def jerk(velocity: ArrayLike, dt: float) -> ArrayLike:
    """Hand jerk (T, ..., 2) from the hand velocity after each of T steps (T, ..., 2), time first: the
    second difference of velocity over dt², the hand at rest before the first step. numpy or torch
    (the loss's smoothness term differentiates through it)."""
    if torch.is_tensor(velocity):
        v = torch.cat([torch.zeros_like(velocity[:2]), velocity])
    else:
        v = np.concatenate([np.zeros_like(velocity[:2]), velocity])
    return (v[2:] - 2 * v[1:-1] + v[:-2]) / dt**2


def mean_squared_jerk(velocity: np.ndarray, dt: float) -> np.ndarray:
    """Mean squared hand jerk ((m/s^3)^2) per trial (B,): the loss's smoothness term, on a recorded reach.

    ``velocity`` (B, T+1, 2) starts at rest (its first state); :func:`jerk` of the steps after it.
    """
    return (jerk(np.moveaxis(velocity[:, 1:], 1, 0), dt) ** 2).sum(axis=-1).mean(axis=0)


def naturalness(hand: np.ndarray, velocity: np.ndarray, target: np.ndarray, dt: float) -> dict[str, float]:
    """How human-like a set of reaches is: the book's criteria (book/conventions.md), over its trials.

    Straightness (mean and largest |lateral deviation|, cm), the speed profile's shape (lowest
    minimum-jerk R^2, most peaks above half the peak), and pace (range of peak speeds, m/s, and of
    movement times, s, the fitted bells' durations).
    """
    lateral = np.abs(100 * lateral_deviation(hand, target))
    shape = speed_profile(velocity, dt)
    speed = peak_speed(velocity)
    return {
        "lateral_mean_cm": float(lateral.mean()), "lateral_max_cm": float(lateral.max()),
        "bell_r2_min": float(np.nanmin(shape["bell_r2"])), "peaks_max": int(shape["peaks_above_half"].max()),
        "peak_speed_min_m_s": float(speed.min()), "peak_speed_max_m_s": float(speed.max()),
        "movement_time_min_s": float(shape["bell_duration_s"].min()),
        "movement_time_max_s": float(shape["bell_duration_s"].max()),
        "jerk_cost": float(mean_squared_jerk(velocity, dt).mean()),
    }
