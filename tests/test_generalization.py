"""motorkit.generalization: the helpers of chapter 7, on hand-made numbers and an untrained network."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from motorkit import generalization as gz
from motorkit.fields import ForceField
from motorkit.tasks import CentreOutReach, TaskConfig
from motorkit.training import TrainConfig, TrainResult, build
from motorkit.traininglog import TrainingLog


def test_angular_distance_wraps_into_the_half_open_circle() -> None:
    np.testing.assert_allclose(gz.angular_distance([0, 45, 90, 180, 270, 315], 90.0), [-90, -45, 0, 90, 180, -135])
    assert gz.angular_distance([270.0], 90.0)[0] == 180.0  # the opposite direction reads +180, never -180


def test_generalization_function_normalises_to_the_practised_directions() -> None:
    indices = np.array([0.1, 0.3, 0.8, 0.4, 0.0, -0.1, 0.2, 0.05])  # practised 90 deg (third)
    d, g = gz.generalization_function(indices, [90.0])
    np.testing.assert_allclose(d, [-135, -90, -45, 0, 45, 90, 135, 180])
    np.testing.assert_allclose(g, np.array([0.05, 0.1, 0.3, 0.8, 0.4, 0.0, -0.1, 0.2]) / 0.8)
    d2, g2 = gz.generalization_function(indices, [90.0, 270.0])  # nearest of two practised directions
    assert sorted(set(np.abs(d2))) == [0.0, 45.0, 90.0]
    assert g2[d2 == 0].mean() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="must be a test direction"):
        gz.generalization_function(indices, [100.0])
    with pytest.raises(ValueError, match="no adaptation"):
        gz.generalization_function(-indices, [90.0])


def test_half_width_interpolates_the_two_sided_mean() -> None:
    d = np.array([-135, -90, -45, 0, 45, 90, 135, 180.0])
    g = np.array([0.0, 0.0, 0.5, 1.0, 0.3, 0.0, 0.0, 0.0])  # both sides at 45 deg: 0.4
    assert gz.half_width(d, g) == pytest.approx(45.0 * (1.0 - 0.5) / (1.0 - 0.4))
    assert gz.half_width(d, np.ones(8)) == math.inf
    np.testing.assert_allclose(gz.by_distance(np.abs(d), g)[1], [1.0, 0.4, 0.0, 0.0, 0.0])


def test_joint_equivalent_field_keeps_joint_torques_and_rescales_curls() -> None:
    rng = np.random.default_rng(0)
    b = rng.normal(size=(2, 2))
    ja, jb = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    intrinsic = gz.joint_equivalent_field(b, ja, jb)
    qdot = rng.normal(size=2)  # same joint velocity, same joint torque at both postures
    np.testing.assert_allclose(jb.T @ intrinsic @ (jb @ qdot), ja.T @ b @ (ja @ qdot), atol=1e-12)
    curl = ForceField("cw", 8.0).matrix().numpy().astype(float)
    np.testing.assert_allclose(gz.joint_equivalent_field(curl, ja, jb),
                               curl * np.linalg.det(ja) / np.linalg.det(jb), atol=1e-12)


def test_start_grid_keeps_only_starts_the_test_set_fits() -> None:
    env = CentreOutReach(TaskConfig())
    trials, kept = gz.start_grid_trials(env, [(60.0, 90.0), (200.0, 90.0), (0.0, 5.0), (35.0, 115.0)])
    assert kept == [(60.0, 90.0), (35.0, 115.0)]
    assert trials.target.shape == (16, 2)
    torch.testing.assert_close(trials.joint[8:], env.test_trials((35.0, 115.0)).joint)
    with pytest.raises(ValueError, match="no start"):
        gz.start_grid_trials(env, [(200.0, 90.0)])


def test_with_task_runs_the_same_policy_on_a_longer_episode() -> None:
    env, policy = build(TrainConfig(duration=0.3))
    result = TrainResult(policy, env, TrainConfig(duration=0.3), TrainingLog(), None)
    longer = gz.with_task(result, duration=0.6, delay=(0.1, 0.1))
    assert longer.policy is policy and longer.env.config.n_steps == 60 and longer.config.test_go_step == 10
    assert longer.evaluate(ForceField()).hand.shape == (8, 61, 2)


def test_local_adaptation_config_narrows_the_task() -> None:
    env, policy = build(TrainConfig())
    null = TrainResult(policy, env, TrainConfig(), TrainingLog(), out=None)
    null.out = "/tmp/some-null-checkpoint"
    config = gz.local_adaptation_config(null, [90.0], start=(35, 75), lr=3e-4, batches=50)
    assert config.starts == "fixed" and config.start == (35.0, 75.0) and config.directions == (90.0,)
    assert config.field == "cw" and config.lr == 3e-4 and config.batches == 50
    assert config.init == "/tmp/some-null-checkpoint"
    with pytest.raises(ValueError, match="at least one"):
        gz.local_adaptation_config(null, [])


def test_channel_force_distance_is_the_rms_difference_of_channel_forces() -> None:
    env, policy = build(TrainConfig(duration=0.3))
    result = TrainResult(policy, env, TrainConfig(duration=0.3), TrainingLog(), None)
    from motorkit.fields import ForceChannel

    a = result.evaluate(ForceChannel())
    b = result.evaluate(ForceChannel())
    b.endpoint_load = b.endpoint_load * 0.0
    assert gz.channel_force_distance(a, a) == 0.0
    assert gz.channel_force_distance(a, b) == pytest.approx(float(np.sqrt(np.mean(a.channel_force() ** 2))))
    with pytest.raises(ValueError, match="different trials"):
        gz.channel_force_distance(a, a.take([0, 1]))


def test_reach_toward_adds_one_reach_in_the_asked_direction() -> None:
    env, policy = build(TrainConfig(duration=0.3))
    result = TrainResult(policy, env, TrainConfig(duration=0.3), [], None)
    trials = gz.reach_toward(result, 90.0)
    assert len(trials) == 9
    offset = trials.target[8] - trials.hand[8, 0]
    np.testing.assert_allclose(offset, [0.0, env.config.reach_m], atol=1e-5)  # straight up, the task's reach
    np.testing.assert_allclose(trials.target[:8], env.test_targets().numpy(), atol=1e-6)


def test_practised_direction_figure_draws_the_function_and_the_catch_trials() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from motorkit import plots

    env, policy = build(TrainConfig(duration=0.3))
    trials = TrainResult(policy, env, TrainConfig(duration=0.3), [], None).evaluate()
    distances = np.array([-135.0, -90.0, -45.0, 0.0, 45.0, 90.0, 135.0, 180.0])
    spread = (distances, np.ones((2, 8)))
    fig = plots.plot_practised_direction({"90": (distances, np.linspace(0, 1, 8))}, {"90": trials}, spread,
                                         trials, "90")
    assert [a.get_title() for a in fig.axes] == ["Generalization function",
                                                 "After-effects (catch trials), practised 90°"]
    assert fig.axes[0].get_ylim() == (-1.2, 1.5)
    plt.close(fig)
