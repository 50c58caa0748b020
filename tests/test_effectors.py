"""Chapter 1 effector helpers: conventions, muscle curves, simulation and forces, checked on motornet itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motorkit import effectors as fx
from motorkit.fields import ForceField
from motorkit.rollouts import Rollout


@pytest.fixture(scope="module")
def arm():
    return fx.make_effector("arm26")


@pytest.fixture(scope="module")
def pointmass():
    return fx.make_effector("pointmass")


def index(effector, name: str) -> int:
    return effector.muscle_name.index(name)


def test_effector_name_and_labels(arm, pointmass):
    assert fx.effector_name(arm) == "arm26"
    assert fx.effector_name(pointmass) == "pointmass"
    assert fx.muscle_labels(arm) == ["pectoralis", "deltoid", "brachioradialis", "triceps lateral", "biceps",
                                     "triceps long"]
    with pytest.raises(ValueError):
        fx.effector_name(torch.nn.Linear(1, 1))


def test_reset_at_start_posture(arm, pointmass):
    states = fx.reset_at(arm, batch_size=3)
    assert states["joint"].shape == (3, 4)
    np.testing.assert_allclose(fx.joint_state_deg(arm), [fx.ARM_START_DEG] * 3, atol=1e-4)
    hand = states["fingertip"][0].numpy()
    # shoulder 60, elbow 90: hand = L1 (cos 60, sin 60) + L2 (cos 150, sin 150)
    l1, l2 = arm.skeleton.L1, arm.skeleton.L2
    expected = [l1 * np.cos(np.pi / 3) + l2 * np.cos(5 * np.pi / 6), l1 * np.sin(np.pi / 3) + l2 * np.sin(5 * np.pi / 6)]
    np.testing.assert_allclose(hand, expected, atol=1e-5)
    fx.reset_at(pointmass, velocity=torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    assert pointmass.states["joint"].shape == (2, 4)
    np.testing.assert_allclose(pointmass.states["joint"][:, :2].numpy(), 0.0)


def test_segment_points_have_the_arm_lengths(arm):
    pts = fx.segment_points(arm, fx.joint_state_from_deg([[60.0, 90.0], [10.0, 140.0]]))
    assert pts.shape == (2, 3, 2)
    np.testing.assert_allclose(np.linalg.norm(pts[:, 1] - pts[:, 0], axis=1), arm.skeleton.L1, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(pts[:, 2] - pts[:, 1], axis=1), arm.skeleton.L2, atol=1e-5)
    # elbow at 90 deg: the forearm is perpendicular to the upper arm
    upper, fore = pts[0, 1] - pts[0, 0], pts[0, 2] - pts[0, 1]
    assert abs(np.dot(upper, fore)) < 1e-5


def test_state_tables_use_motornet_names(arm):
    fx.reset_at(arm)
    tables = fx.state_tables(arm)
    assert [r[0] for r in tables["muscle"]["rows"]] == list(arm.muscle.state_name)
    assert [r[0] for r in tables["geometry"]["rows"]] == list(arm.geometry_state_name)
    assert tables["muscle"]["columns"] == fx.muscle_labels(arm)
    shoulder = next(r for r in tables["body"] if r[1] == "shoulder angle")
    assert shoulder[2] == pytest.approx(np.deg2rad(60.0), abs=1e-6) and shoulder[3] == "rad"


def test_workspace_sample_respects_reach(arm, pointmass):
    pts = fx.workspace_points(arm, n=500, rng=np.random.default_rng(1))
    reach = np.linalg.norm(pts, axis=1)
    assert reach.max() <= arm.skeleton.L1 + arm.skeleton.L2 + 1e-6
    # the elbow cannot fold back beyond 155 deg, so the hand never reaches the shoulder
    assert reach.min() > 0.05
    np.testing.assert_array_equal(pts, fx.workspace_points(arm, n=500, rng=np.random.default_rng(1)))
    square = fx.workspace_points(pointmass, n=200)
    assert np.abs(square).max() <= 1.0


def test_moment_arm_signs_follow_motornet_convention(arm):
    _, _, moments = fx.moment_arms_grid(arm, n=9)
    sho, elb = moments[:, :, 0, :], moments[:, :, 1, :]
    # negative moment arm = flexor (torque = -force x moment arm)
    assert (sho[..., index(arm, "pectoralis")] < 0).all()
    assert (sho[..., index(arm, "biceps")] < 0).all()
    assert (sho[..., index(arm, "deltoid")] > 0).all()
    assert (sho[..., index(arm, "tricepslong")] > 0).all()
    assert (elb[..., index(arm, "brachioradialis")] < 0).all()
    assert (elb[..., index(arm, "biceps")] < 0).all()
    assert (elb[..., index(arm, "tricepslat")] > 0).all()
    assert (elb[..., index(arm, "tricepslong")] > 0).all()
    for mono in ("brachioradialis", "tricepslat"):
        assert (sho[..., index(arm, mono)] == 0).all()
    for mono in ("pectoralis", "deltoid"):
        assert (elb[..., index(arm, mono)] == 0).all()


def test_pectoralis_flexes_the_shoulder_in_simulation(arm):
    """The sign convention checked through the physics: pectoralis alone increases the shoulder angle."""
    r = fx.simulate_constant(arm, fx.single_muscle_excitations(arm, 0.05), 0.05)
    d_shoulder = r.joint[:, -1, 0] - r.joint[:, 0, 0]
    assert d_shoulder[index(arm, "pectoralis")] > 0
    assert d_shoulder[index(arm, "deltoid")] < 0


def test_force_length_peaks_at_optimal_length(arm):
    lengths = np.linspace(0.4, 1.8, 141)
    fl = fx.muscle_force_length(arm, lengths)
    assert fl["active"].shape == (141, 6)
    peak = lengths[np.argmax(fl["active"], axis=0)]
    np.testing.assert_allclose(peak, 1.0, atol=0.011)
    np.testing.assert_allclose(fl["active"].max(axis=0), 1.0, atol=1e-4)
    # passive force only beyond the slack length (1.4 optimal lengths in motornet's Hill muscle)
    assert (fl["passive"][lengths <= 1.39] == 0).all()
    assert (fl["passive"][lengths >= 1.45] > 0).all()
    # total force in newtons at optimal length = F_max
    at_one = fl["force"][np.argmin(np.abs(lengths - 1.0))]
    np.testing.assert_allclose(at_one, arm.muscle.max_iso_force.flatten().numpy(), rtol=1e-3)


def test_force_velocity_shortening_lowers_lengthening_raises(arm):
    v = np.array([-5.0, -1.0, 0.0, 1.0, 5.0])
    fv = fx.muscle_force_velocity(arm, v)["active"]
    np.testing.assert_allclose(fv[2], 1.0, atol=1e-5)
    assert (fv[1] < 1.0).all() and (fv[0] < fv[1]).all()
    assert (fv[3] > 1.0).all() and (fv[4] > fv[3]).all()


def test_fibres_never_reach_passive_range_within_joint_limits(arm):
    ranges = fx.fibre_length_range(arm, n=31)
    assert ranges.shape == (6, 2)
    assert (ranges[:, 0] < ranges[:, 1]).all()
    assert ranges[:, 1].max() < 1.4


def test_pointmass_moves_towards_the_active_muscles_anchor(pointmass):
    r = fx.simulate_constant(pointmass, fx.single_muscle_excitations(pointmass, 0.01), 0.2)
    expected = {"UpperRight": (1, 1), "UpperLeft": (-1, 1), "LowerRight": (1, -1), "LowerLeft": (-1, -1)}
    anchors = fx.pointmass_anchors(pointmass)
    assert anchors.shape == (4, 2)
    for name, signs in expected.items():
        d = r.displacement[index(pointmass, name)]
        assert np.sign(d).tolist() == list(signs)
        assert np.sign(anchors[index(pointmass, name)]).tolist() == list(signs)  # towards its anchor
        assert abs(abs(d[0]) - abs(d[1])) < 1e-6  # straight along the diagonal


def test_rest_and_zero_excitation(pointmass):
    r = fx.simulate_constant(pointmass, np.zeros(4), 0.5)
    assert np.abs(r.displacement).max() == 0.0  # ReLU muscles at zero activation make no force


def test_rightward_endpoint_load_pushes_the_hand_right(arm, pointmass):
    r = fx.simulate_constant(arm, np.zeros(6), 0.2, endpoint_load=[5.0, 0.0])
    free = fx.simulate_constant(arm, np.zeros(6), 0.2)
    assert r.displacement[0, 0] - free.displacement[0, 0] > 0.02
    assert r.endpoint_load.shape == (1, 20, 2) and (r.endpoint_load[..., 0] == 5.0).all()
    pm = fx.simulate_constant(pointmass, np.zeros(4), 0.2, endpoint_load=[1.0, 0.0])
    assert pm.displacement[0, 0] > 0 and pm.displacement[0, 1] == pytest.approx(0.0)


def test_open_loop_curl_load_is_the_field_force_of_the_recorded_velocity(arm):
    u = np.zeros(6)
    u[index(arm, "pectoralis")] = 0.05
    r = fx.simulate_constant(arm, u, 0.2, endpoint_load=ForceField("cw", 8.0))
    expected = ForceField("cw", 8.0).force(r.velocity[0, :-1]).numpy()  # the velocity at the start of each step
    np.testing.assert_allclose(r.endpoint_load[0], expected, atol=1e-6)
    assert np.abs(r.endpoint_load).max() > 0.01


def test_curl_fields_bend_the_path_to_opposite_sides(arm):
    u = np.zeros(6)
    u[index(arm, "tricepslat")], u[index(arm, "pectoralis")] = 0.02, 0.01
    null = fx.simulate_constant(arm, u, 0.3)
    d = null.displacement[0] / np.linalg.norm(null.displacement[0])
    left = np.array([-d[1], d[0]])
    cw = fx.simulate_constant(arm, u, 0.3, endpoint_load=ForceField("cw", 8.0))
    ccw = fx.simulate_constant(arm, u, 0.3, endpoint_load=ForceField("ccw", 8.0))
    assert (cw.hand[0, -1] - null.hand[0, -1]) @ left < -0.01  # CW: to the right of the movement
    assert (ccw.hand[0, -1] - null.hand[0, -1]) @ left > 0.01


def test_jacobian_transpose_matches_motornet(arm):
    pos = fx.joint_state_from_deg([[60.0, 90.0], [20.0, 30.0], [110.0, 140.0]])
    force = torch.tensor([[5.0, 0.0], [0.0, -3.0], [2.0, 2.0]])
    jt_f, tau = fx.endpoint_load_torques(arm, pos, force)
    torch.testing.assert_close(jt_f, tau, atol=1e-5, rtol=1e-4)
    jac = fx.hand_jacobian(arm, pos)
    assert jac.shape == (3, 2, 2)
    # point mass: the hand is the "joint" position, J is the identity
    pm = fx.make_effector("pointmass")
    torch.testing.assert_close(fx.hand_jacobian(pm, torch.zeros(1, 2))[0], torch.eye(2))


def test_simulate_is_deterministic_and_shaped(arm):
    u = fx.single_muscle_excitations(arm, 0.02)
    a = fx.simulate_constant(arm, u, 0.1)
    b = fx.simulate_constant(arm, u, 0.1)
    for field in Rollout.ARRAYS:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    # the book's one record, batch first; no network (hidden of width 0), no target
    assert a.time.shape == (11,) and a.hand.shape == (6, 11, 2) and a.muscle.shape == (6, 11, 7, 6)
    assert a.action.shape == (6, 10, 6) and a.hidden.shape == (6, 11, 0) and np.isnan(a.target).all()
    np.testing.assert_array_equal(a.activation, a.muscle[:, :, 0])
    # a single excitation row is tiled over a batch of start positions
    r = fx.simulate_constant(arm, np.zeros(6), 0.05, position=fx.joint_state_from_deg([[60, 90], [30, 30]]))
    assert r.hand.shape == (2, 6, 2)


def test_first_limit_time(arm):
    strong = fx.simulate_constant(arm, fx.single_muscle_excitations(arm, 0.5), 0.3)
    t = fx.first_limit_time(arm, strong)
    assert np.isfinite(t).all() and (t > 0).all() and (t <= 0.3).all()
    rest = fx.simulate_constant(arm, np.zeros(6), 0.1)
    assert np.isnan(fx.first_limit_time(arm, rest)).all()


def test_value_at_interpolates_a_sampled_curve():
    grid = np.array([-2.0, 0.0, 2.0])
    curve = np.array([0.0, 1.0, 3.0])
    assert fx.value_at(-1.0, grid, curve) == pytest.approx(0.5)
    assert fx.value_at(1.0, grid, curve) == pytest.approx(2.0)
    assert isinstance(fx.value_at(0.0, grid, curve), float)


def test_lateral_offset_is_positive_to_the_left_of_the_reference_movement():
    reference_end, move = np.array([0.0, 0.1]), np.array([0.0, 0.1])  # the reference moved up (+y) 10 cm
    assert fx.lateral_offset_cm(np.array([-0.02, 0.1]), reference_end, move) == pytest.approx(2.0)  # left of up
    assert fx.lateral_offset_cm(np.array([0.03, 0.12]), reference_end, move) == pytest.approx(-3.0)
    # the size of the reference movement does not matter, only its direction
    assert fx.lateral_offset_cm(np.array([-0.02, 0.1]), reference_end, 5 * move) == pytest.approx(2.0)
