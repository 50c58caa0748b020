"""Metric definitions and signs (book/conventions.md) on hand-made paths."""

from __future__ import annotations

import numpy as np
import pytest

from motorkit import metrics


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
