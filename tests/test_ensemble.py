"""Networks trained together (motorkit.ensemble) are each exactly what training it alone gives."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from motorkit import training
from motorkit.checkpoints import load_checkpoint
from motorkit.ensemble import StackedPolicy, check_shapes, shape_key
from motorkit.errors import TrainingDiverged
from motorkit.policy import ClampSubspace, GRUPolicy
from motorkit.training import TrainConfig, load_policy, train, train_together

# short episodes and few batches keep these quick; eager, so that no compile is timed here
SMALL = TrainConfig(batch_size=16, batches=6, duration=0.3, eval_every=3, checkpoint_every=3, hidden=32, compile=False)
# float32 rounding: stacked matrix products add in another order than GRUCell's, and training carries it on
RTOL, ATOL = 2e-4, 1e-6
# Adam's steps have a set size whatever the gradient's, so a rounding-level difference in a near-zero
# gradient can move one small weight by a fraction of the learning rate: weights compare norm-wise.


def _close(a: training.TrainResult, b: training.TrainResult) -> None:
    for column in ("loss", "loss_distance", "loss_effort", "loss_smoothness", "loss_hidden"):
        assert [r[column] for r in a.log] == pytest.approx([r[column] for r in b.log], rel=RTOL, abs=ATOL), column
    assert a.log.last_evaluation()["test_endpoint_error_cm"] == pytest.approx(
        b.log.last_evaluation()["test_endpoint_error_cm"], rel=RTOL, abs=1e-4)
    for name, value in a.policy.state_dict().items():
        difference = torch.linalg.vector_norm(value - b.policy.state_dict()[name])
        assert difference <= RTOL * torch.linalg.vector_norm(value), name


def test_stacked_policy_steps_each_network_as_its_own_gru() -> None:
    torch.manual_seed(0)
    nets = [GRUPolicy(7, 6, 32) for _ in range(3)]
    obs, h = torch.randn(3 * 5, 7), torch.randn(3 * 5, 32)
    out, new = StackedPolicy(nets)(obs, h)
    for i, net in enumerate(nets):
        rows = slice(5 * i, 5 * (i + 1))
        own_out, own_new = net(obs[rows], h[rows])
        torch.testing.assert_close(out[rows], own_out, rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(new[rows], own_new, rtol=1e-6, atol=1e-6)


def test_each_member_trains_as_if_alone(tmp_path: Path) -> None:
    """Own seed, loss weights, field, catch trials, clamp, schedule and parent weights, and the same
    curves, weights and checkpoints as each trained alone."""
    parent = train(replace(SMALL, batches=3, seed=7), out=tmp_path / "parent", progress=False)
    basis = torch.eye(32)[:2]
    configs = [
        SMALL,
        replace(SMALL, seed=1, effort_weight=0.0, hidden_weight=1e-2),
        replace(SMALL, seed=2, field="cw", catch_fraction=0.3, channel_probe=True, lr=1e-3, lr_final=1e-3),
        replace(SMALL, seed=3, interventions=(ClampSubspace(slice(2, None), basis).spec(),)),
        replace(SMALL, seed=4, field="ccw", init=str(tmp_path / "parent"), batches=4),  # fine-tuned, stops sooner
    ]
    together = train_together(configs, [tmp_path / f"together{i}" for i in range(len(configs))], progress=False)
    for i, (config, member) in enumerate(zip(configs, together)):
        alone = train(config, out=tmp_path / f"alone{i}", progress=False)
        _close(member, alone)
        assert len(member.log) == config.batches
        # its checkpoint is the one training it alone writes: it reloads and resumes as its own
        saved, own = load_checkpoint(tmp_path / f"together{i}"), load_checkpoint(tmp_path / f"alone{i}")
        assert saved["finished"] and saved["batch"] == own["batch"] and saved["config"] == own["config"]
        assert saved["optimizer"]["param_groups"] == own["optimizer"]["param_groups"]
        for k, state in own["optimizer"]["state"].items():
            for name, value in state.items():
                torch.testing.assert_close(saved["optimizer"]["state"][k][name], value, rtol=RTOL, atol=ATOL)
        assert torch.equal(saved["generator"], own["generator"])  # the same random stream, as far
    assert load_policy(tmp_path / "together4").config.init == str(tmp_path / "parent")
    assert parent.log[-1]["batch"] == 3


def test_a_diverging_member_stops_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configs = [SMALL, replace(SMALL, seed=1), replace(SMALL, seed=2)]
    original, calls = training.episode_loss, {"n": 0}

    def second_diverges_at_fifth(*args):
        calls["n"] += 1
        terms = original(*args)
        if calls["n"] == 5 and len(terms["distance"]) == 3:
            poison = torch.tensor([1.0, float("nan"), 1.0])
            return {k: v * poison for k, v in terms.items()}
        return terms

    monkeypatch.setattr(training, "episode_loss", second_diverges_at_fifth)
    results = train_together(configs, [tmp_path / str(i) for i in range(3)], progress=False)
    monkeypatch.setattr(training, "episode_loss", original)
    assert isinstance(results[1], TrainingDiverged)
    assert "batch 5" in str(results[1]) and "last good checkpoint" in str(results[1])
    saved = load_checkpoint(tmp_path / "1")
    assert saved["batch"] == 3 and not saved["finished"]
    assert all(torch.isfinite(v).all() for v in saved["policy"].values())
    for i in (0, 2):  # the others ran to the end, as they would have alone
        _close(results[i], train(configs[i], progress=False))
    with pytest.raises(TrainingDiverged, match="batch 5"):  # alone, the same failure is raised
        calls["n"] = 0

        def diverges_at_fifth(*args):
            calls["n"] += 1
            terms = original(*args)
            return {k: v * float("nan") for k, v in terms.items()} if calls["n"] == 5 else terms

        monkeypatch.setattr(training, "episode_loss", diverges_at_fifth)
        train(configs[1], progress=False)


def test_only_networks_of_one_shape_train_together() -> None:
    check_shapes([SMALL, replace(SMALL, seed=3, field="cw", effort_weight=0.0)])
    assert shape_key(SMALL) == shape_key(replace(SMALL, seed=3, lr=1e-4))
    with pytest.raises(ValueError, match="must share batch_size"):
        check_shapes([SMALL, replace(SMALL, batch_size=32)])
    with pytest.raises(ValueError, match="must share effector"):
        train_together([SMALL, replace(SMALL, effector="pointmass")], progress=False)


def test_networks_are_tested_together_as_each_alone() -> None:
    """Training evaluates networks trained together in one closed loop (rollout_together)."""
    from motorkit.closed_loop import Simulator
    from motorkit.fields import ForceChannel, make_field
    from motorkit.rollouts import rollout, rollout_together

    configs = [SMALL, replace(SMALL, seed=1, action_noise=0.01), replace(SMALL, seed=2)]
    built = [training.build(c) for c in configs]
    sims = [Simulator(env, policy) for env, policy in built]
    fields = [make_field("cw"), ForceChannel(), make_field("null")]
    clamp = [[], [], [ClampSubspace(slice(3, None), torch.eye(32)[:2])]]
    together = rollout_together(sims, [env.test_trials() for env, _ in built], fields, interventions=clamp)
    for sim, (env, _), field, ivs, record in zip(sims, built, fields, clamp, together):
        alone = rollout(sim, env.test_trials(), field, interventions=ivs)
        for name in alone.ARRAYS:
            assert getattr(record, name).shape == getattr(alone, name).shape, name
            assert getattr(record, name) == pytest.approx(getattr(alone, name), rel=1e-5, abs=1e-6), name
        assert record.config == alone.config
