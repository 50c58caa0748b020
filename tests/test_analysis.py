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


def _record(hand: np.ndarray) -> Rollout:
    b, t = hand.shape[:2]
    z = np.zeros
    return Rollout(hand, z((b, t, 2)), z((b, t, 4)), z((b, t - 1, 6)), z((b, t - 1, 2)), z((b, t, 4)),
                   z((b, 2)), z((b, t, 6)), z((b, t, 4, 6)), dt=0.01)


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


# --------------------------------------------------------------------------------------------------
# Chapter 5 and 6 additions: layout of end states, shifts of activity, rotation planes, interventions


def test_circular_correlation_follows_order_around_the_circle() -> None:
    a = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    assert analysis.circular_correlation(a, a + 1.0) == pytest.approx(1.0)
    assert analysis.circular_correlation(a, -a) == pytest.approx(-1.0)
    shuffled = np.random.default_rng(0).permutation(a)
    assert abs(analysis.circular_correlation(a, shuffled)) < 0.5


def test_decoding_r2_is_cross_validated() -> None:
    rng = np.random.default_rng(0)
    states = rng.standard_normal((48, 3))
    positions = states[:, :2] @ np.array([[1.0, 2.0], [-0.5, 0.3]]) + 0.1
    assert analysis.decoding_r2(states, positions) == pytest.approx(1.0)
    # unrelated positions: in-sample least squares would still fit a little; held-out R² does not
    assert analysis.decoding_r2(states, rng.standard_normal((48, 2))) < 0.1
    with pytest.raises(ValueError):
        analysis.decoding_r2(states[:3], positions[:3])


def test_shift_summary_on_known_shifts() -> None:
    hidden = np.concatenate([_rotating(), np.zeros((8, 101, 10))], axis=-1)  # 16 units, 2 active dims
    pca = analysis.fit_pca(hidden, n_components=5)
    uniform = hidden.copy()
    uniform[..., 0] += 0.5  # the same shift for every target and step, along an active axis
    s = analysis.shift_summary(uniform, hidden, pca, k=2)
    assert s["uniform_fraction"] == pytest.approx(1.0)
    assert s["top2_own_fraction"] == pytest.approx(1.0)
    assert s["in_top2_pcs_fraction"] == pytest.approx(1.0)
    assert s["chance_fraction"] == pytest.approx(2 / 16)
    assert s["rms_change"] == pytest.approx(0.5)
    assert s["rms_change_over_spread"] == pytest.approx(0.5 / analysis.rms_spread(hidden))
    assert s["mean_shift_norm"] == pytest.approx(0.5) and s["mean_shift_in_top2_pcs"] == pytest.approx(1.0)
    outside = hidden.copy()
    outside[..., 10] += np.sign(np.sin(np.arange(101)))[None]  # a change in an inactive unit, zero mean
    s = analysis.shift_summary(outside, hidden, pca, k=2)
    assert s["in_top2_pcs_fraction"] == pytest.approx(0.0, abs=1e-9)
    assert s["top2_own_fraction"] == pytest.approx(1.0)
    basis, share = analysis.shift_basis(outside - hidden, k=1)
    assert abs(basis[0, 10]) == pytest.approx(1.0) and share[0] == pytest.approx(1.0)


def test_variance_and_energy_in_subspaces() -> None:
    hidden = np.concatenate([_rotating(), np.zeros((8, 101, 10))], axis=-1)
    pca = analysis.fit_pca(hidden, n_components=5)
    assert analysis.variance_captured(hidden, pca, k=2) == pytest.approx(1.0)
    assert analysis.variance_captured(hidden, pca, k=1) == pytest.approx(0.5, abs=0.05)
    assert analysis.energy_in_subspace(hidden, np.eye(16)[:2]) == pytest.approx(1.0)
    assert analysis.energy_in_subspace(hidden, np.eye(16)[5:7]) == pytest.approx(0.0)


def test_rotation_plane_is_the_rotating_plane_turning_counter_clockwise() -> None:
    x = _rotating(noise=0.01)
    fit = analysis.fit_rotation(x, dt=0.01)
    plane = analysis.rotation_plane(fit)
    assert plane @ plane.T == pytest.approx(np.eye(2), abs=1e-9)
    assert np.abs(plane[:, :2]).sum(axis=1) == pytest.approx([1.0, 1.0], abs=0.1)  # inside dims 0 and 1
    p = x[..., :6] @ plane.T  # (8, T, 2): d(second)/dt should follow +first
    dp = np.diff(p, axis=1)
    assert np.mean(dp[..., 1] * p[:, :-1, 0]) > 0 and np.mean(dp[..., 0] * p[:, :-1, 1]) < 0


def test_peak_speed_step() -> None:
    v = np.zeros((2, 11, 2))
    v[:, 4, 0] = [1.0, 0.5]
    v[0, 7, 1] = 1.2
    assert analysis.peak_speed_step(v) == 4  # the mean over trials peaks at step 4 (0.75 > 0.6)


def _arm(hidden: int = 16):
    from motorkit.rollouts import Simulator
    from motorkit.training import TrainConfig, build

    env, policy = build(TrainConfig(effector="arm26", hidden=hidden, duration=0.3, seed=1))
    with torch.no_grad():  # a policy that moves the hand: muscles well above their floor
        policy.readout.bias.fill_(-1.0)
    return Simulator(env, policy)


def test_pulse_sweep_equals_one_rollout_per_pulse() -> None:
    from motorkit.policy import Perturb
    from motorkit.rollouts import rollout

    sim = _arm()
    targets = sim.env.test_targets()
    dirs = interventions.random_directions(2, 16, seed=0)
    sweep = interventions.pulse_sweep(sim, targets, dirs, ["a", "b"], step=5, sizes=[0.0, 2.0])
    assert sweep.deviation_m.shape == (2, 2, 8)
    assert np.all(sweep.deviation_m[:, 0] < 1e-6)  # size 0: nothing happens (batching rounds differently)
    single = rollout(sim, targets, interventions=[Perturb([5], 2.0 * dirs[1])])
    np.testing.assert_allclose(sweep.rollouts[1, 1].hand, single.hand, atol=1e-6)
    np.testing.assert_allclose(sweep.deviation_m[1, 1], interventions.hand_deviation(single, sweep.base), atol=1e-6)
    assert np.all(sweep.deviation_m[:, 1] > 0)


def test_transplant_sets_the_state_and_add_difference_accumulates() -> None:
    from motorkit.policy import Clamp
    from motorkit.rollouts import rollout

    sim = _arm()
    targets = sim.env.test_targets()
    base = rollout(sim, targets)
    donor = rollout(sim, targets, interventions=[Clamp(slice(0, None), [0, 1], 0.5)])
    whole = rollout(sim, targets, interventions=[interventions.transplant(donor.hidden)])
    np.testing.assert_allclose(whole.hidden, donor.hidden, atol=1e-6)
    np.testing.assert_allclose(whole.hand, donor.hand, atol=1e-6)
    # along units 0 and 1 only: those units follow the donor, and that is all the donor changed
    part = rollout(sim, targets, interventions=[interventions.transplant(donor.hidden, np.eye(16)[:2])])
    np.testing.assert_allclose(part.hidden[:, 1:, :2], donor.hidden[:, 1:, :2], atol=1e-6)
    np.testing.assert_allclose(part.hand, donor.hand, atol=1e-5)
    # an irrelevant basis leaves the base reach unchanged
    other = rollout(sim, targets, interventions=[interventions.transplant(base.hidden, np.eye(16)[5:8])])
    np.testing.assert_allclose(other.hand, base.hand, atol=1e-6)
    zero = rollout(sim, targets, interventions=[interventions.add_difference(np.zeros_like(base.hidden))])
    np.testing.assert_allclose(zero.hand, base.hand, atol=1e-6)
    added = rollout(sim, targets, interventions=[interventions.add_difference(donor.hidden - base.hidden)])
    assert not np.allclose(added.hidden, donor.hidden, atol=1e-3)  # the recurrence carries what was added


def test_swap_readout_bases_and_helpers() -> None:
    sim = _arm()
    donor = _arm().policy
    with torch.no_grad():
        donor.readout.weight.mul_(2.0)
    swapped = interventions.swap_readout(sim.policy, donor)
    assert torch.equal(swapped.readout.weight, donor.readout.weight)
    assert torch.equal(swapped.gru.weight_hh, sim.policy.gru.weight_hh)
    assert not torch.equal(sim.policy.readout.weight, donor.readout.weight)  # the original is untouched
    q = interventions.random_basis(3, 16, seed=2)
    assert torch.allclose(q @ q.T, torch.eye(3), atol=1e-6)
    hidden = np.zeros((2, 5, 4))
    hidden[..., 2] = np.arange(5)
    hidden[..., 0] = 0.1 * np.arange(5)
    assert interventions.top_variance_units(hidden, 2) == [2, 0]
    record = _record(np.arange(3 * 101 * 2, dtype=float).reshape(3, 101, 2))
    part = record.take([2, 0])
    np.testing.assert_array_equal(part.hand, record.hand[[2, 0]])
    b = interventions.behaviour(record, record)
    assert b["hand_deviation_cm"] == 0.0


def test_local_maxima() -> None:
    x = np.array([0, 1, 3, 2, 0.5, 1.0, 2.5, 2.5, 1, 0.2, 0.4, 0])
    assert analysis.local_maxima(x) == [2, 6]  # 0.4 at index 10 is below half the maximum
    assert analysis.local_maxima(x, above=0.1) == [2, 6, 10]


def test_condition_independent_fraction() -> None:
    t = np.linspace(0, 1, 50)
    common = np.broadcast_to(np.sin(6 * t)[None, :, None], (8, 50, 1))
    assert analysis.condition_independent_fraction(common) == pytest.approx(1.0)
    split = np.linspace(-1, 1, 8)[:, None, None] * np.ones((8, 50, 1))  # constant per condition
    assert analysis.condition_independent_fraction(split) == pytest.approx(0.0)
    both = common + split
    expected = np.var(np.sin(6 * t)) / (np.var(np.sin(6 * t)) + np.var(np.linspace(-1, 1, 8)))
    assert analysis.condition_independent_fraction(both) == pytest.approx(expected)


def test_neighbour_distance_ratio() -> None:
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    ring = np.c_[np.cos(angles), np.sin(angles)]
    assert analysis.neighbour_distance_ratio(ring) < 0.15  # in order around a circle
    shuffled = ring[np.random.default_rng(0).permutation(48)]
    assert analysis.neighbour_distance_ratio(shuffled) > 0.7  # neighbours in the list are anywhere


def test_alignment_index_is_one_for_a_shared_subspace_and_low_for_orthogonal_ones() -> None:
    rng = np.random.default_rng(0)
    first = np.zeros((4, 50, 8))
    first[..., :2] = rng.standard_normal((4, 50, 2))
    second = np.zeros((4, 50, 8))
    second[..., 2:4] = rng.standard_normal((4, 50, 2))
    pca = analysis.fit_pca(first, n_components=2)
    assert analysis.alignment_index(first, pca, k=2) == pytest.approx(1.0)
    assert analysis.alignment_index(second, pca, k=2) == pytest.approx(0.0, abs=1e-9)


def test_potent_fraction_counts_only_what_the_readout_sees() -> None:
    rng = np.random.default_rng(1)
    readout = np.zeros((2, 6))
    readout[0, 0], readout[1, 1] = 3.0, -1.0  # the muscles see units 0 and 1
    seen = np.zeros((3, 20, 6))
    seen[..., :2] = rng.standard_normal((3, 20, 2))
    unseen = np.zeros((3, 20, 6))
    unseen[..., 2:] = rng.standard_normal((3, 20, 4))
    assert analysis.potent_fraction(seen, readout) == pytest.approx(1.0)
    assert analysis.potent_fraction(unseen, readout) == pytest.approx(0.0, abs=1e-12)
    assert 0 < analysis.potent_fraction(seen + unseen, readout) < 1


def test_subspace_occupancy_follows_the_activity_from_one_subspace_to_another() -> None:
    rng = np.random.default_rng(2)
    hidden = np.zeros((6, 10, 5))
    hidden[:, 1:5, 0] = rng.standard_normal((6, 4))  # first the conditions differ along unit 0
    hidden[:, 5:, 1] = rng.standard_normal((6, 5))  # then along unit 1
    pca = analysis.fit_pca(hidden[:, 1:5], n_components=1)
    share = analysis.subspace_occupancy(hidden, pca, k=1)
    assert np.isnan(share[0])  # the common initial state
    np.testing.assert_allclose(share[1:5], 1.0)
    np.testing.assert_allclose(share[5:], 0.0, atol=1e-12)
