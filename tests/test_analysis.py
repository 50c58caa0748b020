"""Hidden-state analyses on data whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motorkit import analysis, interventions
from motorkit.rollouts import Rollout


def _rotating(n_cond: int = 8, steps: int = 101, dt: float = 0.01, freq: float = 2.0, noise: float = 0.0):
    """Conditions starting around a circle and rotating at ``freq`` Hz in the (0,1) plane, in 6 dims."""
    rng = np.random.default_rng(0)
    t = np.arange(steps) * dt
    phase = np.linspace(0, 2 * np.pi, n_cond, endpoint=False)
    x = np.zeros((n_cond, steps, 6))
    x[..., 0] = np.cos(phase[:, None] + 2 * np.pi * freq * t)
    x[..., 1] = np.sin(phase[:, None] + 2 * np.pi * freq * t)
    x[..., 2:] = noise * rng.standard_normal((n_cond, steps, 4))
    return x


def test_rotation_fit_finds_a_pure_rotation() -> None:
    fit = analysis.fit_rotation(_rotating(), dt=0.01)
    assert fit.r2_skew > 0.99 and fit.rotation_fraction > 0.99
    assert fit.frequencies_hz[0] == pytest.approx(2.0, rel=0.01)


def test_rotation_fit_rejects_pure_decay() -> None:
    t = np.arange(101) * 0.01
    x = np.zeros((8, 101, 6))
    x[..., :6] = np.exp(-3 * t)[None, :, None] * np.random.default_rng(1).standard_normal((8, 1, 6))
    fit = analysis.fit_rotation(x, dt=0.01)
    assert fit.r2_full > 0.99 and fit.rotation_fraction < 0.1


def test_pca_spread_and_subspaces() -> None:
    x = _rotating()
    hidden = np.concatenate([x, np.zeros((8, 101, 10))], axis=-1)  # 16 units, activity in 2 dims
    pca = analysis.fit_pca(hidden, n_components=5)
    assert pca.explained_variance_ratio_[:2].sum() > 0.999
    traj = analysis.project(pca, hidden)
    assert analysis.spread(traj, 0) == pytest.approx(analysis.spread(traj, 50), rel=1e-6)  # rigid rotation
    assert analysis.principal_angles_deg(pca, pca, k=2) == pytest.approx([0, 0], abs=1e-4)
    other = analysis.fit_pca(np.roll(hidden, 5, axis=-1), n_components=5)  # same activity, other units
    assert analysis.principal_angles_deg(pca, other, k=2) == pytest.approx([90, 90], abs=1e-3)
    shift = analysis.activity_shift(hidden + 1.0, hidden)
    assert shift == pytest.approx(np.ones(16))
    assert analysis.fraction_in_subspace(pca.components_[0] * 3, pca, k=1) == pytest.approx(1.0)


def _record(fingertip: np.ndarray) -> Rollout:
    b, t = fingertip.shape[:2]
    z = np.zeros
    return Rollout(fingertip, z((b, t, 2)), z((b, t, 4)), z((b, t - 1, 6)), z((b, t - 1, 2)), z((b, t, 4)),
                   z((b, 2)), z((b, t, 6)), dt=0.01)


def test_hand_deviation_and_recovery() -> None:
    base = _record(np.zeros((2, 101, 2)))
    bump = np.zeros((2, 101, 2))
    bump[0, 20:40, 0] = 0.02  # back within tolerance from step 40: 20 steps after step 20
    bump[1, 20:, 0] = 0.02  # never recovers
    pert = _record(bump)
    assert interventions.hand_deviation(pert, base) == pytest.approx([0.02, 0.02])
    rec = interventions.recovery_time(pert, base, after_step=20)
    assert rec[0] == pytest.approx(0.2) and np.isnan(rec[1])


def test_directions_are_unit_and_seeded() -> None:
    a = interventions.random_directions(4, 64, seed=3)
    assert torch.allclose(a.norm(dim=1), torch.ones(4))
    assert torch.equal(a, interventions.random_directions(4, 64, seed=3))
