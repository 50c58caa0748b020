"""Metric definitions and signs (book/conventions.md) on hand-made paths."""

from __future__ import annotations

import numpy as np
import pytest

from motorkit import metrics
from motorkit.fields import ForceField
from motorkit.metrics import adaptation_index, channel_force, ideal_channel_force


def _path(bulge: float, n: int = 101) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A rightward 10 cm reach from the origin bulging by ``bulge`` metres in +y, bell-shaped speed.

    The movement lasts the first 70 samples (0.7 s); the hand then holds still on the target.
    """
    s = np.clip(np.linspace(0, 1, n) / 0.7, 0, 1)
    x = 0.1 * (10 * s**3 - 15 * s**4 + 6 * s**5)
    y = bulge * np.sin(np.pi * x / 0.1)
    p = np.stack([x, y], -1)[None]
    v = np.gradient(p, 0.01, axis=1)
    return p, v, np.array([[0.1, 0.0]])


def test_straight_reach_has_no_deviation() -> None:
    p, v, target = _path(0.0)
    assert metrics.lateral_deviation(p, target)[0] == pytest.approx(0.0, abs=1e-12)
    assert metrics.angle_at_peak_velocity(p, v, target)[0] == pytest.approx(0.0, abs=1e-9)
    assert metrics.endpoint_error(p, target, 0.01)[0] == pytest.approx(0.0, abs=1e-6)


def test_signs_left_is_positive() -> None:
    left, v_left, target = _path(+0.02)
    right, v_right, _ = _path(-0.02)
    assert metrics.lateral_deviation(left, target)[0] == pytest.approx(0.02, rel=1e-3)
    assert metrics.lateral_deviation(right, target)[0] == pytest.approx(-0.02, rel=1e-3)
    assert metrics.angle_at_peak_velocity(left, v_left, target)[0] > 0
    assert metrics.angle_at_peak_velocity(right, v_right, target)[0] < 0


def test_signs_do_not_depend_on_direction() -> None:
    p, v, target = _path(+0.02)
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])  # rotate the whole reach by +90 deg: now upward
    assert metrics.lateral_deviation(p @ rot.T, target @ rot.T)[0] == pytest.approx(0.02, rel=1e-3)


def test_endpoint_error_and_peak_speed() -> None:
    p, v, target = _path(0.0)
    shifted = target + np.array([[0.0, 0.01]])
    assert metrics.endpoint_error(p, shifted, 0.01)[0] == pytest.approx(0.01, rel=1e-3)
    assert metrics.peak_speed(v)[0] == pytest.approx(0.1 * 1.875 / 0.7, rel=2e-2)  # min-jerk peak = 1.875 D/T, T = 0.7 s


def test_summary_has_means_and_per_target_values() -> None:
    p, v, target = _path(+0.02)
    out = metrics.summarize(np.repeat(p, 3, 0), np.repeat(v, 3, 0), np.repeat(target, 3, 0), 0.01)
    assert out["lateral_deviation_cm"] == pytest.approx(2.0, rel=1e-3)
    assert len(out["per_target"]["endpoint_error_cm"]) == 3


def test_undefined_direction_is_refused() -> None:
    p, _, _ = _path(0.0)
    with pytest.raises(ValueError, match="start"):
        metrics.lateral_deviation(p, p[:, 0])


def _channel_reach(speed_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 10 cm rightward reach along a channel: positions (1, T+1, 2), velocities (1, T+1, 2), target (1, 2)."""
    t = np.linspace(0.0, 1.0, 101)
    s = 10 * t**3 - 15 * t**4 + 6 * t**5  # minimum jerk
    x = 0.1 * speed_scale * s
    hand = np.stack([x, np.zeros_like(x)], -1)[None]
    velocity = np.gradient(hand, 0.01, axis=1)
    return hand, velocity, np.array([[0.1 * speed_scale, 0.0]])


def test_channel_force_is_the_hand_pressing_against_the_wall() -> None:
    hand, _, target = _channel_reach()
    load = np.zeros((1, 100, 2))
    load[0, :, 1] = -3.0  # the wall pushes the hand to the right of a rightward reach (towards -y) ...
    np.testing.assert_allclose(channel_force(load, hand, target), 3.0)  # ... so the hand presses left


def test_ideal_force_cancels_a_cw_field() -> None:
    hand, velocity, target = _channel_reach()
    cw = ForceField("cw", 8.0).matrix().numpy()
    ideal = ideal_channel_force(velocity[:, :-1], hand, target, cw)
    # CW pushes a rightward reach towards -y with k |v|: cancelling it presses left (+) with k |v|
    np.testing.assert_allclose(ideal, 8.0 * velocity[:, :-1, 0], atol=1e-12)
    ccw = ForceField("ccw", 8.0).matrix().numpy()
    np.testing.assert_allclose(ideal_channel_force(velocity[:, :-1], hand, target, ccw), -ideal, atol=1e-12)


def test_adaptation_index_on_synthetic_channel_forces() -> None:
    hand, velocity, target = _channel_reach()
    ideal = ideal_channel_force(velocity[:, :-1], hand, target, ForceField("cw", 8.0).matrix().numpy())
    noise = np.random.default_rng(0).normal(0.0, 0.05, ideal.shape)
    assert adaptation_index(ideal, ideal) == pytest.approx(1.0)  # full compensation
    assert adaptation_index(noise, ideal) == pytest.approx(0.0, abs=0.02)  # a naive controller
    assert adaptation_index(0.6 * ideal + noise, ideal) == pytest.approx(0.6, abs=0.02)
    assert adaptation_index(-0.3 * ideal, ideal) == pytest.approx(-0.3)  # pushing with the field
    with pytest.raises(ValueError, match="ideal force is zero"):
        adaptation_index(noise, np.zeros_like(ideal))


def test_summary_holds_the_size_of_each_lateral_deviation() -> None:
    hand, velocity, target = _channel_reach()
    hand = hand.copy()
    hand[0, 50, 1] = -0.01  # one sample 1 cm to the right
    summary = metrics.summarize(hand, velocity, target, 0.01)
    assert summary["lateral_deviation_cm"] == pytest.approx(-1.0)
    assert summary["abs_lateral_deviation_cm"] == pytest.approx(1.0)
    assert summary["per_target"]["abs_lateral_deviation_cm"] == [1.0]


def test_reaction_time_is_from_the_cue_to_a_tenth_of_the_peak_speed() -> None:
    t = np.arange(101) * 0.01
    speed = np.where(t > 0.5, np.sin(np.pi * np.clip((t - 0.5) / 0.4, 0, 1)), 0.0)  # moves from 500 ms
    velocity = np.stack([speed, np.zeros_like(speed)], axis=-1)[None].repeat(3, axis=0)
    rt = metrics.reaction_time(velocity, np.array([30, 45, 101]), 0.01)
    first = 0.5 + 0.4 * np.arcsin(0.1) / np.pi  # where the sine passes 10 % of its peak
    np.testing.assert_allclose(rt[:2], np.ceil(100 * first) / 100 - [0.30, 0.45], atol=1e-9)
    assert np.isnan(rt[2])  # no cue within the trial: no reaction time


def test_drift_before_the_cue_is_the_largest_distance_from_the_start_before_it() -> None:
    hand = np.zeros((2, 11, 2))
    hand[:, 3, 0] = 0.002  # a 2 mm twitch at step 3, back after
    hand[:, 8:, 1] = 0.05  # the reach, after the cue
    drift = metrics.drift_before_cue(hand, np.array([5, 11]))
    np.testing.assert_allclose(drift, [0.002, 0.05])  # the second trial had no cue: all of it counts


def test_endpoint_scatter_is_the_mean_distance_from_the_mean_endpoint() -> None:
    hand = np.zeros((4, 30, 2))
    hand[:, -10:] = [[0.01, 0.0]], [[-0.01, 0.0]], [[0.0, 0.01]], [[0.0, -0.01]]  # the last 100 ms
    hand[:, :-10] = 5.0  # what came before does not count
    assert metrics.endpoint_scatter(hand, 0.01) == pytest.approx(0.01)
    assert metrics.endpoint_scatter(np.repeat(hand[:1], 3, axis=0), 0.01) == 0.0
