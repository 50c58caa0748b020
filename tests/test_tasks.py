"""The task: where training trials start and aim, what the go cue asks, and the test sets from any start."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from motorkit.bodies import START_REGION, joint_position, make_effector
from motorkit.closed_loop import Trace
from motorkit.loss import episode_terms
from motorkit.tasks import GENERALIZATION_STARTS, TRAIN_REACH_FACTOR, CentreOutReach, TaskConfig


def _env(**changes: object) -> CentreOutReach:
    return CentreOutReach(TaskConfig(**changes))


@pytest.mark.parametrize("effector", ["arm26", "pointmass"])
def test_training_trials_cover_the_start_region_and_stay_reachable(effector: str) -> None:
    env = _env(effector=effector)
    trials = env.sample_trials(4096, torch.Generator().manual_seed(0))
    pos = trials.joint[:, :2].numpy()
    pos = np.rad2deg(pos) if effector == "arm26" else pos
    for axis, (lo, hi) in enumerate(START_REGION[effector]):
        assert lo <= pos[:, axis].min() < lo + 0.05 * (hi - lo) and hi - 0.05 * (hi - lo) < pos[:, axis].max() <= hi
    assert torch.all(trials.joint[:, 2:] == 0)  # at rest
    torch.testing.assert_close(trials.start, env.hand(trials.joint))
    offset = trials.target - trials.start
    dist = offset.norm(dim=-1)
    assert dist.max() <= TRAIN_REACH_FACTOR * env.config.reach_m + 1e-6
    assert bool(env.reachable(trials.target).all())
    hold = (dist == 0).float().mean().item()
    assert 0.07 < hold < 0.16  # the hold trials (10 %), and hardly any unreachable draw left holding
    angles = torch.atan2(offset[dist > 0, 1], offset[dist > 0, 0])
    counts = torch.histc(angles, bins=8, min=-math.pi, max=math.pi)
    assert counts.min() > 0.5 * counts.mean()  # every direction
    again = env.sample_trials(4096, torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(trials, again))


def test_fixed_starts_are_the_test_posture_and_delays_are_drawn_in_range() -> None:
    env = _env(starts="fixed", delay=(0.2, 0.4))
    trials = env.sample_trials(512, torch.Generator().manual_seed(1))
    assert torch.equal(trials.joint, env.start_joint.expand(512, -1))
    assert trials.go.min().item() == 20 and trials.go.max().item() == 40
    assert env.config.test_go_step == 30 and env.test_trials().go.tolist() == [30] * 8


def test_adaptation_trials_start_at_one_posture_and_reach_in_given_directions() -> None:
    env = _env(starts="fixed", start=(45.0, 100.0), directions=(90.0, 270.0), reach=0.08)
    trials = env.sample_trials(512, torch.Generator().manual_seed(1))
    torch.testing.assert_close(trials.joint[:, :2], torch.deg2rad(torch.tensor([[45.0, 100.0]])).expand(512, 2))
    offset = trials.target - trials.start
    moving = offset.norm(dim=-1) > 0
    assert 0.8 < moving.float().mean() < 0.97  # hold trials as usual
    torch.testing.assert_close(offset[moving].norm(dim=-1), torch.full((int(moving.sum()),), 0.08))
    angle = torch.rad2deg(torch.atan2(offset[moving, 1], offset[moving, 0]))
    assert set(angle.round().abs().int().tolist()) == {90}  # straight up or straight down only
    assert 0.4 < (angle > 0).float().mean() < 0.6
    test = env.test_trials()  # the test set starts at the task's posture
    torch.testing.assert_close(test.joint, trials.joint[:8])
    with pytest.raises(ValueError, match="start must be two numbers"):
        TaskConfig(start=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="directions must be finite"):
        TaskConfig(directions=(0.0, float("nan")))
    with pytest.raises(ValueError, match="joint limits"):
        _env(start=(200.0, 90.0))


def test_schedule_holds_until_the_go_cue_then_asks_for_the_target_after_the_movement_time() -> None:
    env = _env(delay=(0.1, 0.3), movement_time=0.4)
    trials = env.sample_trials(16, torch.Generator().manual_seed(2))
    schedule = trials.schedule(100, env.config)
    lag = env.config.cue_lag  # the go signal is seen through vision
    assert lag == 5
    for b in range(16):
        go = int(trials.go[b])
        assert torch.all(schedule.cue[:go + lag, b, 2] == 0) and torch.all(schedule.cue[go + lag:, b, 2] == 1)
        assert torch.all(schedule.cue[:, b, :2] == trials.target[b])  # the target is shown throughout
        torch.testing.assert_close(schedule.goal[:go, b], trials.start[b].expand(go, 2))
        torch.testing.assert_close(schedule.goal[go:, b], trials.target[b].expand(100 - go, 2))
        # step k ends at (k + 1) dt: the position counts again from 400 ms after the cue
        assert schedule.weight[:go, b].eq(1).all() and schedule.weight[go:go + 39, b].eq(0).all()
        assert schedule.weight[go + 39:, b].eq(1).all()
    short = trials.schedule(20, env.config)  # an episode that ends before the movement time: its last step
    assert short.weight[-1].eq(1).all()


def test_no_go_trials_hold_throughout_and_the_hold_before_the_cue_weighs_more() -> None:
    env = _env(delay=(0.3, 0.6), duration=1.0, no_go_fraction=0.3, hold_weight=4.0)
    trials = env.sample_trials(400, torch.Generator().manual_seed(5))
    no_go = trials.go >= env.config.n_steps
    assert 0.22 < no_go.float().mean() < 0.38
    assert trials.go[~no_go].min() >= 30 and trials.go[~no_go].max() <= 60
    schedule = trials.schedule(env.config.n_steps, env.config)
    assert schedule.cue[:, no_go, 2].eq(0).all()  # no cue is ever seen
    torch.testing.assert_close(schedule.goal[:, no_go], trials.start[no_go].expand(100, -1, 2))
    assert schedule.weight[:, no_go].eq(4.0).all()  # the whole episode is a hold
    b = int(torch.nonzero(~no_go)[0, 0])
    go = int(trials.go[b])
    assert schedule.weight[:go, b].eq(4.0).all() and schedule.weight[go:go + 39, b].eq(0).all()
    assert schedule.weight[go + 39:, b].eq(1).all()
    same = _env(delay=(0.3, 0.6), duration=1.0).sample_trials(400, torch.Generator().manual_seed(5))
    torch.testing.assert_close(same.target, trials.target)  # no-go trials draw after everything else
    with pytest.raises(ValueError, match="no go fraction must be in"):
        TaskConfig(no_go_fraction=1.5)
    with pytest.raises(ValueError, match="hold weight must be > 0"):
        TaskConfig(hold_weight=0.0)
    with pytest.raises(ValueError, match="push force must be"):
        TaskConfig(push_force=(3.0, 1.0))
    with pytest.raises(ValueError, match="command noise must be >= 0"):
        TaskConfig(command_noise=-0.1)


def test_pushes_are_one_pulse_per_pushed_trial_within_the_drawn_ranges() -> None:
    from motorkit.closed_loop import draw_pushes

    config = TaskConfig(duration=1.0, push_fraction=0.5, push_force=(1.0, 3.0), push_duration=(0.05, 0.15))
    push = draw_pushes(config, 100, 2000, torch.Generator().manual_seed(0))
    size = push.norm(dim=-1)  # (T, B)
    pushed = size.amax(0) > 0
    assert 0.45 < pushed.float().mean() < 0.55
    on = size[:, pushed] > 0
    assert torch.all((size[:, pushed][on] >= 1.0 - 1e-5) & (size[:, pushed][on] <= 3.0 + 1e-5))
    steps = on.sum(0)  # one pulse per trial: its steps are consecutive, 5 to 15 of them (fewer at the end)
    first = on.float().argmax(0)
    assert torch.all(on.flip(0).float().argmax(0) == 100 - first - steps)
    assert steps.max() <= 15 and (steps[first <= 85] >= 5).all()
    force = push[first, pushed.nonzero()[:, 0]]  # each pushed trial's force, at its first step
    assert torch.atan2(force[:, 1], force[:, 0]).std() > 1.5  # every direction (uniform: 1.81 rad)
    assert draw_pushes(TaskConfig(), 100, 8, None).eq(0).all()


def test_loss_terms_are_measured_where_the_schedule_says() -> None:
    env = _env(movement_time=0.05)
    trials = env.test_trials()
    schedule = trials.schedule(10, env.config)
    t, b = 10, 8
    hand = trials.target.expand(t, b, 2).clone()
    hand[:4] = trials.start  # at the start during the movement window (steps 0-3): not counted
    cart = torch.cat([hand, torch.zeros(t, b, 2)], dim=-1)
    cart[5, :, 2] = 1.0  # one step at 1 m/s, rest before and after
    out = Trace(command=torch.full((t, b, 6), 0.5), action=None, load=None, hand=cart,
                hidden=torch.full((t, b, 4), 2.0), joint=None, muscle=None)
    distance, effort, smoothness, hidden = episode_terms(out, schedule, 0.01)[:, 0].tolist()
    assert distance == pytest.approx(0.0, abs=1e-7) and effort == pytest.approx(0.25) and hidden == pytest.approx(4.0)
    # second differences of one 1 m/s blip: 1, -2, 1 (x 1e4 m/s^3), squared and averaged over 10 steps
    assert smoothness == pytest.approx((1 + 4 + 1) * 1e8 / 10, rel=1e-5)


@pytest.mark.parametrize("effector", ["arm26", "pointmass"])
def test_test_trials_from_any_start_and_clear_errors(effector: str) -> None:
    env = _env(effector=effector)
    for start in GENERALIZATION_STARTS[effector]:
        trials = env.test_trials(start)
        offsets = (trials.target - trials.start).numpy()
        np.testing.assert_allclose(np.linalg.norm(offsets, axis=-1), env.config.reach_m, rtol=1e-5)
        np.testing.assert_allclose(np.degrees(np.arctan2(offsets[:, 1], offsets[:, 0])) % 360,
                                   np.arange(8) * 45.0, atol=1e-3)
    far = (200.0, 90.0) if effector == "arm26" else (1.5, 0.0)
    with pytest.raises(ValueError, match="outside the .* joint limits"):
        env.test_trials(far)
    with pytest.raises(ValueError, match="reachable workspace"):
        env.test_trials(reach=0.5 if effector == "arm26" else 0.95)
    with pytest.raises(ValueError, match="reach must be > 0"):
        env.test_trials(reach=-0.1)


def test_generalization_set_spans_the_arm_start_region() -> None:
    starts = np.array(GENERALIZATION_STARTS["arm26"])
    assert len(starts) >= 6
    (s0, s1), (e0, e1) = START_REGION["arm26"]
    assert np.all((starts[:, 0] >= s0) & (starts[:, 0] <= s1) & (starts[:, 1] >= e0) & (starts[:, 1] <= e1))
    assert np.ptp(starts[:, 0]) >= 0.75 * (s1 - s0) and np.ptp(starts[:, 1]) >= 0.6 * (e1 - e0)


def test_joint_position_inverts_motornet_kinematics() -> None:
    arm = make_effector("arm26")
    pos = torch.tensor([[0.3, 0.4], [1.0, 2.0], [2.2, 0.1]])
    hand = arm.joint2cartesian(torch.cat([pos, torch.zeros_like(pos)], dim=1))[:, :2]
    torch.testing.assert_close(joint_position(arm, hand), pos, rtol=1e-4, atol=1e-4)
    assert torch.isnan(joint_position(arm, torch.tensor([[0.7, 0.0]]))).all()  # beyond the outstretched arm
