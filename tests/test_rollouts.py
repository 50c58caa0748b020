"""The fast path is faithful: compiled closed-loop stepping matches motornet's own Environment.step."""

from __future__ import annotations

import motornet as mn
import numpy as np
import pytest
import torch

from motorkit.fields import ForceField
from motorkit.policy import Clamp, ClampSubspace, Perturb
from motorkit.closed_loop import LOSS_OUTPUTS, EpisodeRunner, Hooks, Noise, Simulator
from motorkit.loss import episode_loss
from motorkit.rollouts import Rollout, rollout
from motorkit.tasks import CentreOutReach, TaskConfig
from motorkit.training import TrainConfig, build, draw_batch


def _stock_env(task: TaskConfig) -> CentreOutReach:
    """The same task on an untouched motornet effector (no motorkit patch)."""
    if task.effector == "arm26":
        effector = mn.effector.RigidTendonArm26(muscle=mn.muscle.RigidTendonHillMuscle(), timestep=task.dt)
    else:
        effector = mn.effector.ReluPointMass24(timestep=task.dt)
    return CentreOutReach(task, effector=effector)


@pytest.mark.parametrize("effector", ["arm26", "pointmass"])
def test_compiled_step_matches_motornet_environment(effector: str) -> None:
    config = TrainConfig(effector=effector, field="cw", batch_size=64, duration=0.5)
    env, policy = build(config)
    sim = Simulator(env, policy)
    episode = EpisodeRunner(sim, unroll=config.unroll, compile=True)
    generator = torch.Generator().manual_seed(3)
    trials = env.sample_trials(config.batch_size, generator)  # starts all over the region
    targets = trials.target
    cue = trials.schedule(env.config.n_steps, env.config).cue
    loads = config.force_field().trial_loads(trials, generator)
    matrices = loads.matrix[:, :, 2:]  # a curl field: velocity only
    noise = sim.draw_noise(env.config.n_steps, config.batch_size, generator)

    reference = _stock_env(env.config)
    obs, _ = reference.reset(options={"trials": trials})
    state = sim.start(trials)
    with torch.no_grad():
        for t0 in range(0, env.config.n_steps, episode.unroll):
            ours_obs = torch.cat([targets, state.vision[:, 0], state.proprioception[:, 0]], dim=-1)
            torch.testing.assert_close(ours_obs, obs, rtol=1e-4, atol=1e-5)  # motornet's observation, go signal aside
            part = slice(t0, t0 + episode.unroll)
            state, outs = episode.fn(state, cue[part], loads, Noise(*(n[part] for n in noise)), (), (), LOSS_OUTPUTS)
            for k in range(episode.unroll):
                # the same actions and the same field force, through motornet's own stepping
                load = torch.einsum("bij,bj->bi", matrices, reference.states["cartesian"][:, 2:])
                action = env.effector.muscle.clip_activation(outs.command[k] + noise.action[t0 + k])
                obs, *_ = reference.step(action, deterministic=True, endpoint_load=load)
                torch.testing.assert_close(outs.hand[k], reference.states["cartesian"], rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(state.joint, reference.states["joint"], rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(state.muscle, reference.states["muscle"], rtol=1e-5, atol=1e-5)
    assert episode.compiled, "the compiled path fell back to eager: the test would not test the fast path"


def _trained_like() -> tuple[CentreOutReach, Simulator]:
    env, policy = build(TrainConfig(duration=0.3))
    return env, Simulator(env, policy)


def test_rollout_record_shapes_and_save_roundtrip(tmp_path) -> None:
    env, sim = _trained_like()
    record = rollout(sim, env.test_targets(), ForceField("ccw", 8.0), config={"note": "x"})
    b, t, m, h = 8, env.config.n_steps, env.n_muscles, sim.policy.hidden_size
    assert record.hand.shape == (b, t + 1, 2) and record.velocity.shape == (b, t + 1, 2)
    assert record.joint.shape == (b, t + 1, 4) and record.action.shape == (b, t, m)
    assert record.endpoint_load.shape == (b, t, 2) and record.hidden.shape == (b, t + 1, h)
    assert record.target.shape == (b, 2)
    np.testing.assert_allclose(record.hand[:, 0], env.start.numpy().repeat(8, 0), atol=1e-6)
    assert np.abs(record.endpoint_load).max() > 0  # the field pushed
    path = record.save(tmp_path / "r.npz")
    again = Rollout.load(path)
    for name in Rollout.ARRAYS:
        np.testing.assert_array_equal(getattr(again, name), getattr(record, name))
    assert again.config["field"] == "ccw" and again.config["note"] == "x"
    assert (tmp_path / "r.json").exists()
    with pytest.raises(ValueError, match=".npz"):
        record.save(tmp_path / "r.txt")


def test_a_rollout_saved_before_the_rename_still_loads(tmp_path) -> None:
    """Files written when the hand path was called ``fingertip`` load with it as ``hand``."""
    b, t = 3, 5
    rng = np.random.default_rng(0)
    record = Rollout(*(rng.normal(size=shape) for shape in [(b, t + 1, 2), (b, t + 1, 2), (b, t + 1, 4), (b, t, 6),
                     (b, t, 2), (b, t + 1, 4), (b, 2), (b, t + 1, 6), (b, t + 1, 4, 6)]), dt=0.01, config={"a": 1})
    path = record.save(tmp_path / "new.npz")
    with np.load(path) as data:
        arrays = {("fingertip" if name == "hand" else name): data[name] for name in data.files}
    np.savez(tmp_path / "old.npz", **arrays)
    (tmp_path / "old.json").write_text((tmp_path / "new.json").read_text())
    old = Rollout.load(tmp_path / "old.npz")
    for name in Rollout.ARRAYS:
        np.testing.assert_array_equal(getattr(old, name), getattr(record, name))
    assert old.config == {"a": 1}


def test_catch_trials_switch_the_field_off() -> None:
    env, sim = _trained_like()
    record = rollout(sim, env.test_targets(), ForceField("cw", 8.0), catch=True)
    assert np.all(record.endpoint_load == 0)
    assert record.config["catch"] is True


def test_interventions_change_hidden_state_where_asked() -> None:
    env, sim = _trained_like()
    targets = env.test_targets()
    base = rollout(sim, targets)
    delta = torch.zeros(sim.policy.hidden_size)
    delta[0] = 5.0
    pulsed = rollout(sim, targets, interventions=[Perturb(steps=[10], offset=delta)])
    # hidden[t + 1] is the state after step t: identical before the pulse, unit 0 moved at it
    np.testing.assert_array_equal(pulsed.hidden[:, :11], base.hidden[:, :11])
    np.testing.assert_allclose(pulsed.hidden[:, 11, 0], base.hidden[:, 11, 0] + 5.0, atol=1e-5)
    assert not np.allclose(pulsed.hand[:, 20:], base.hand[:, 20:])
    clamped = rollout(sim, targets, interventions=[Clamp(steps=slice(0, None), units=[1, 2], value=0.0)])
    assert np.all(clamped.hidden[:, 1:, 1:3] == 0)
    basis = torch.eye(sim.policy.hidden_size)[:3]
    ablated = rollout(sim, targets, interventions=[ClampSubspace(steps=slice(5, None), basis=basis)])
    np.testing.assert_allclose(ablated.hidden[:, 6:, :3], 0.0, atol=1e-6)


def test_the_runner_records_what_a_step_by_step_loop_records() -> None:
    """The recorder is the training driver run eagerly: it matches stepping the closed loop by hand."""
    config = TrainConfig(duration=0.2, field="cw", action_noise=0.02)
    env, policy = build(config)
    sim = Simulator(env, policy)
    trials = env.test_trials()
    generator = torch.Generator().manual_seed(0)
    load = config.force_field().trial_loads(trials, generator)
    noise = sim.draw_noise(env.config.n_steps, len(trials.target), generator)
    pulse = Perturb([4], torch.linspace(-1, 1, 64))
    record = rollout(sim, trials, config.force_field(), interventions=[pulse])
    with torch.no_grad():
        cue = trials.schedule(env.config.n_steps, env.config).cue
        state, hands = sim.start(trials), []
        for t in range(env.config.n_steps):
            hooks = Hooks(hidden=(lambda h: h + pulse.offset) if t == 4 else None)
            state, out = sim.step(state, cue[t], load, Noise(*(n[t] for n in noise)), hooks)
            hands.append(out.hand[:, :2])
    np.testing.assert_array_equal(record.hand[:, 1:], torch.stack(hands, 1).numpy())
    np.testing.assert_array_equal(record.hidden[:, -1], state.hidden.numpy())


def test_rollout_is_deterministic_with_noise() -> None:
    env, policy = build(TrainConfig(duration=0.3, action_noise=0.05, proprioception_noise=0.01, vision_noise=0.001))
    sim = Simulator(env, policy)
    a = rollout(sim, env.test_targets(), seed=1)
    b = rollout(sim, env.test_targets(), seed=1)
    c = rollout(sim, env.test_targets(), seed=2)
    np.testing.assert_array_equal(a.hand, b.hand)
    assert not np.array_equal(a.hand, c.hand)


def test_take_and_split_slice_every_array_of_the_record() -> None:
    env, sim = _trained_like()
    targets = env.test_targets()
    record = rollout(sim, torch.cat([targets, targets]), ForceField("cw", 8.0))
    first, second = record.split(2)
    for name in Rollout.ARRAYS:
        np.testing.assert_array_equal(getattr(first, name), getattr(record, name)[:8])
        np.testing.assert_array_equal(getattr(second, name), getattr(record, name)[8:])
    np.testing.assert_array_equal(record.take([1, 9]).hand, record.hand[[1, 9]])
    np.testing.assert_array_equal(record.activation, record.muscle[:, :, 0])
    assert len(first) == 8 and record.time[-1] == pytest.approx(env.config.n_steps * env.config.dt)
    first.config["strength"] = 1.0
    assert record.config["strength"] == 8.0  # a slice owns its configuration
    with pytest.raises(ValueError, match="cannot split 16 trials into 3"):
        record.split(3)


@pytest.mark.parametrize("with_interventions", [False, True])
def test_compiled_gradients_match_eager_and_one_graph_serves_every_chunk(with_interventions: bool) -> None:
    # the fidelity test above checks the forward pass; training needs the backward pass right too
    from torch._dynamo.utils import counters

    config = TrainConfig(batch_size=16, duration=0.2, field="cw")
    env, policy = build(config)
    sim = Simulator(env, policy)
    batch = draw_batch(env, sim, config.force_field(), config.batch_size, torch.Generator().manual_seed(1))
    # a pulse at steps 3-4 only and a clamp from step 6 on: windows that differ between chunks
    held = [Perturb([3, 4], 0.3 * torch.ones(64)), ClampSubspace(slice(6, None), torch.eye(64)[:2])]
    interventions = held if with_interventions else []
    grads = {}
    for compiled in (False, True):
        torch._dynamo.reset()
        counters.clear()
        policy.zero_grad()
        runner = EpisodeRunner(sim, config.unroll, compile=compiled)
        config.loss_weights().total(episode_loss(runner, batch, interventions)).backward()
        grads[compiled] = torch.cat([p.grad.flatten() for p in policy.parameters()])
    assert counters["stats"]["unique_graphs"] == 1  # the first chunk does not compile a graph of its own
    torch.testing.assert_close(grads[True], grads[False], rtol=1e-4, atol=1e-7)
