"""Perturbations of the body and the senses go through the closed loop's one intervention interface:
each changes its own signal, from its own step, and nothing before; training takes them too."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from motorkit import perturbations as pt
from motorkit.closed_loop import EpisodeRunner, Hooks, Simulator
from motorkit.policy import SITES, Perturb, from_spec
from motorkit.rollouts import rollout, rollout_together
from motorkit.training import TrainConfig, build, train

# an untrained network on a short noisy task: the go cue at step 10, vision 5 steps late, proprioception 2
CONFIG = TrainConfig(duration=0.4, delay=(0.1, 0.1), action_noise=0.01, vision_noise=0.001, compile=False)


@pytest.fixture(scope="module")
def sim() -> Simulator:
    env, policy = build(CONFIG)
    return Simulator(env, policy)


def _first_difference(a: np.ndarray, b: np.ndarray) -> int:
    """The first step index (axis 1) where two records differ."""
    differs = np.any(a != b, axis=tuple(i for i in range(a.ndim) if i != 1))
    assert differs.any(), "the records never differ"
    return int(np.argmax(differs))


def test_the_hooks_are_the_sites() -> None:
    assert Hooks._fields == SITES


def test_a_bump_pushes_the_hand_at_its_steps_and_changes_nothing_before(sim: Simulator) -> None:
    task = sim.env.config
    go = task.test_go_step
    bump = pt.bump(task, go, onset_ms=50, duration_ms=30, force_n=3.0, angle_deg=90)
    base, pushed = rollout(sim, sim.env.test_trials(), seed=2), rollout(sim, sim.env.test_trials(), seed=2,
                                                                         interventions=[bump])
    extra = pushed.endpoint_load - base.endpoint_load
    np.testing.assert_allclose(extra[:, go + 5:go + 8], np.broadcast_to([0.0, 3.0], (8, 3, 2)), atol=1e-6)
    assert np.all(extra[:, :go + 5] == 0)
    # the push changes the hand's velocity in the step it acts in (record index = step + 1); the muscles'
    # state follows one step later (motornet computes it from the joint state a step starts from), and
    # proprioception tells the network its delay after that
    assert _first_difference(base.velocity, pushed.velocity) == go + 5 + 1
    lag = round(task.proprioception_delay / task.dt)
    assert _first_difference(base.hidden, pushed.hidden) == go + 5 + 1 + 1 + lag
    assert pushed.config["perturbations"] == [bump.spec()]


def test_a_target_jump_is_seen_a_visual_delay_late_and_moves_the_recorded_target(sim: Simulator) -> None:
    task = sim.env.config
    jump = pt.target_jump(task, task.test_go_step, onset_ms=0, dx_m=0.03, dy_m=-0.01)
    trials = sim.env.test_trials()
    base, jumped = rollout(sim, trials, seed=1), rollout(sim, trials, seed=1, interventions=[jump])
    seen = task.test_go_step + task.cue_lag
    assert _first_difference(base.hidden, jumped.hidden) == seen + 1  # hidden[:, t + 1] is after step t
    np.testing.assert_allclose(jumped.target - base.target, np.broadcast_to([0.03, -0.01], (8, 2)), atol=1e-7)


def test_a_cursor_jump_reaches_the_network_a_visual_delay_late(sim: Simulator) -> None:
    task = sim.env.config
    jump = pt.cursor_jump(task, task.test_go_step, onset_ms=40, dx_m=0.0, dy_m=0.02)
    base, shifted = rollout(sim, sim.env.test_trials(), seed=1), rollout(sim, sim.env.test_trials(), seed=1,
                                                                         interventions=[jump])
    onset = task.test_go_step + 4
    assert _first_difference(base.hidden, shifted.hidden) == onset + task.cue_lag + 1
    np.testing.assert_array_equal(base.target, shifted.target)  # the hand is seen elsewhere; the target stays


def test_a_network_without_its_senses_cannot_feel_a_push(sim: Simulator) -> None:
    """Vision and proprioception frozen at the start: a bump moves the hand, not the network."""
    task, trials = sim.env.config, sim.env.test_trials()
    numb = [pt.silence(sim, trials, "vision"), pt.silence(sim, trials, "proprioception")]
    bump = pt.bump(task, task.test_go_step, 20, 50, 4.0, 0.0)
    still, pushed = rollout(sim, trials, interventions=numb), rollout(sim, trials, interventions=[*numb, bump])
    np.testing.assert_array_equal(still.hidden, pushed.hidden)
    assert np.abs(pushed.hand - still.hand).max() > 1e-3
    felt = rollout(sim, trials, interventions=[bump])
    assert not np.array_equal(felt.hidden, rollout(sim, trials).hidden)


def test_a_visual_rotation_turns_the_seen_hand_about_its_centre() -> None:
    rotation = pt.VisualRotation(steps=slice(0, None), angle_deg=90.0, centre=torch.tensor([0.1, 0.2]))
    seen = torch.tensor([[0.2, 0.2], [0.1, 0.3]])
    np.testing.assert_allclose(rotation.apply(seen).numpy(), [[0.1, 0.3], [0.0, 0.2]], atol=1e-6)
    zero = pt.VisualRotation(steps=[3], angle_deg=0.0)
    np.testing.assert_allclose(zero.apply(seen).numpy(), seen.numpy())


def test_every_kind_round_trips_through_its_spec(sim: Simulator) -> None:
    trials = sim.env.test_trials()
    kinds = [pt.Bump([3, 4], torch.tensor([1.0, 2.0])), pt.TargetJump(slice(5, None), torch.tensor([0.01, 0.0])),
             pt.CursorJump(slice(2, 9), torch.tensor([0.0, -0.02])),
             pt.VisualRotation(slice(0, None), 30.0, torch.tensor([0.0, 0.4])), pt.silence(sim, trials, "vision"),
             pt.silence(sim, trials, "proprioception"), Perturb([1], torch.ones(64))]
    for iv in kinds:
        back = from_spec(iv.spec())
        assert type(back) is type(iv) and back.site == iv.site and back.spec() == iv.spec()
    assert {iv.site for iv in kinds} == set(SITES)


@pytest.mark.parametrize("call, message", [
    (lambda task: pt.bump(task, 10, 5000, 50, 1, 0), "outside the 400 ms episode"),
    (lambda task: pt.bump(task, 10, 0, 0, 1, 0), "duration > 0 ms"),
    (lambda task: pt.bump(task, 10, 0, 50, -1, 0), "force >= 0 N"),
    (lambda task: pt.target_jump(task, 10, -200, 0.01, 0), "outside the 400 ms episode"),
    (lambda task: pt.Silence([1], "touch"), "unknown sense 'touch'"),
])
def test_bad_perturbations_get_one_line(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(CONFIG.task_config())


def test_a_perturbation_acts_on_its_own_member_of_an_ensemble(sim: Simulator) -> None:
    env, other = build(CONFIG)
    second = Simulator(env, other)
    bump = pt.bump(env.config, env.config.test_go_step, 0, 50, 4.0, 45.0)
    trials = env.test_trials()
    together = rollout_together([sim, second], [trials, trials], [CONFIG.force_field()] * 2,
                                interventions=[[], [bump]], seed=4)
    alone = [rollout(sim, trials, seed=4), rollout(second, trials, seed=4, interventions=[bump])]
    for a, b in zip(together, alone):
        np.testing.assert_allclose(a.hand, b.hand, atol=1e-6)
        np.testing.assert_allclose(a.endpoint_load, b.endpoint_load, atol=1e-6)


def test_training_under_a_target_jump_asks_for_the_jumped_target(sim: Simulator) -> None:
    """The loss's goal moves with the target shown, once the go cue has come; before it, the start."""
    task, trials = sim.env.config, sim.env.test_trials()
    jump = pt.TargetJump(steps=slice(0, None), offset=torch.tensor([0.02, 0.0]))
    generator = torch.Generator().manual_seed(0)
    noise = sim.draw_noise(task.n_steps, len(trials.target), generator)
    load = CONFIG.force_field().trial_loads(trials, generator)
    runner = EpisodeRunner(sim, compile=False)
    with torch.no_grad():
        _, plain, _ = runner.run(trials, load, noise)
        _, moved, _ = runner.run(trials, load, noise, [jump])
    go = task.test_go_step
    torch.testing.assert_close(moved.goal[:go], plain.goal[:go])
    torch.testing.assert_close(moved.goal[go:], plain.goal[go:] + torch.tensor([0.02, 0.0]))


def test_a_network_learns_under_a_perturbation_held_in_its_configuration() -> None:
    """Any perturbation can be part of training: the configuration holds its spec, and evaluation too."""
    bump = pt.Bump(steps=slice(12, 20), offset=torch.tensor([0.0, 2.0]))
    config = TrainConfig(duration=0.4, delay=(0.1, 0.1), batches=3, batch_size=8, compile=False, eval_every=3,
                         interventions=(bump.spec(),))
    result = train(config, progress=False)
    (held,) = result.config.held_interventions()
    assert isinstance(held, pt.Bump) and held.spec() == bump.spec()
    record = result.evaluate()
    assert np.abs(record.endpoint_load[:, 12:20, 1] - 2.0).max() < 1e-6
    assert math.isfinite(result.log[-1]["loss"])
