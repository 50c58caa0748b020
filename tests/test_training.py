"""Training is seeded, deterministic, resumable, and fails loudly and safely."""

from __future__ import annotations

import math

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from motorkit import training
from motorkit.checkpoints import load_checkpoint
from motorkit.closed_loop import EpisodeRunner, Simulator
from motorkit.errors import CheckpointError, TrainingDiverged
from motorkit.policy import ClampSubspace, Perturb
from motorkit.training import TrainConfig, load_policy, train

# batch 64 reuses the compiled step of the fidelity test; short episodes keep these tests quick
SMALL = TrainConfig(batch_size=64, batches=6, duration=0.3, eval_every=3, checkpoint_every=3)


def _weights(result: training.TrainResult) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in result.policy.state_dict().items()}


def test_same_seed_same_loss_curve_compiled() -> None:
    a = train(SMALL, progress=False)
    b = train(SMALL, progress=False)
    c = train(replace(SMALL, seed=1), progress=False)
    assert [r["loss"] for r in a.log] == [r["loss"] for r in b.log]
    assert [r["loss"] for r in a.log] != [r["loss"] for r in c.log]
    assert all(torch.equal(a.policy.state_dict()[k], b.policy.state_dict()[k]) for k in a.policy.state_dict())


def test_resume_after_interruption_equals_uninterrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = replace(SMALL, compile=False)
    whole = train(config, out=tmp_path / "whole", progress=False)

    calls = {"n": 0}
    original = training.CentreOutReach.sample_trials

    def interrupt_at_fifth_batch(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(training.CentreOutReach, "sample_trials", interrupt_at_fifth_batch)
    with pytest.raises(KeyboardInterrupt):
        train(config, out=tmp_path / "split", progress=False)
    assert load_checkpoint(tmp_path / "split")["batch"] == 4  # saved on the way out
    monkeypatch.setattr(training.CentreOutReach, "sample_trials", original)
    resumed = train(config, out=tmp_path / "split", progress=False)

    assert [r["loss"] for r in resumed.log] == [r["loss"] for r in whole.log]
    for name, value in whole.policy.state_dict().items():
        assert torch.equal(value, resumed.policy.state_dict()[name]), name


def test_checkpoint_holds_weights_config_and_log(tmp_path: Path) -> None:
    result = train(replace(SMALL, compile=False), out=tmp_path, progress=False)
    payload = load_checkpoint(tmp_path)
    assert payload["batch"] == 6 and len(payload["log"]) == 6
    assert payload["config"]["batch_size"] == 64
    assert (tmp_path / "config.json").exists() and (tmp_path / "log.json").exists()
    loaded = load_policy(tmp_path)
    for name, value in result.policy.state_dict().items():
        assert torch.equal(value, loaded.policy.state_dict()[name])
    assert not list(tmp_path.glob("*.tmp"))


def test_nan_loss_stops_with_clear_error_and_keeps_last_good_checkpoint(tmp_path: Path, monkeypatch) -> None:
    original = training.episode_loss
    calls = {"n": 0}

    def nan_at_fifth(*args):
        calls["n"] += 1
        terms = original(*args)
        return {k: v * float("nan") for k, v in terms.items()} if calls["n"] == 5 else terms

    monkeypatch.setattr(training, "episode_loss", nan_at_fifth)
    with pytest.raises(TrainingDiverged, match=r"batch 5.*last good checkpoint.*batch 3"):
        train(replace(SMALL, compile=False), out=tmp_path, progress=False)
    payload = load_checkpoint(tmp_path)
    assert payload["batch"] == 3
    assert all(torch.isfinite(v).all() for v in payload["policy"].values())


def test_bad_checkpoints_are_named(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no motorkit checkpoint"):
        load_checkpoint(tmp_path / "missing")
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(tmp_path / "corrupt")
    (tmp_path / "foreign").mkdir()
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign" / "checkpoint.pt")
    with pytest.raises(CheckpointError, match="not a motorkit checkpoint"):
        load_checkpoint(tmp_path / "foreign")


def test_fine_tuning_starts_from_the_checkpoint(tmp_path: Path) -> None:
    base = train(replace(SMALL, compile=False), out=tmp_path / "null", progress=False)
    tuned = train(replace(SMALL, compile=False, field="cw", batches=1, lr=1e-9, lr_final=1e-9,
                          init=str(tmp_path / "null")), progress=False)
    for name, value in base.policy.state_dict().items():
        torch.testing.assert_close(tuned.policy.state_dict()[name], value, atol=1e-6, rtol=0)
    with pytest.raises(CheckpointError, match="cannot fine-tune"):
        train(replace(SMALL, hidden=32, init=str(tmp_path / "null")), progress=False)


def test_channel_probe_logs_the_adaptation_index_and_channels_train_like_fields() -> None:
    probed = train(replace(SMALL, compile=False, field="cw", batches=2, eval_every=1, channel_probe=True),
                   progress=False)
    assert all(math.isfinite(row["test_adaptation_index"]) for row in probed.log)
    plain = train(replace(SMALL, compile=False, field="cw", batches=1), progress=False)
    assert "test_adaptation_index" not in plain.log[-1]
    channel = train(replace(SMALL, compile=False, field="channel", batches=1), progress=False)
    assert math.isfinite(channel.log[-1]["loss"]) and channel.evaluate().config["field"] == "channel"


def test_a_null_run_probes_against_another_field() -> None:
    washout = train(replace(SMALL, compile=False, batches=1, eval_every=1, channel_probe=True, probe_field="cw"),
                    progress=False)
    assert math.isfinite(washout.log[-1]["test_adaptation_index"])


def _clamped(compile: bool) -> training.TrainResult:
    basis = torch.linalg.qr(torch.randn(64, 2, generator=torch.Generator().manual_seed(0)))[0].T
    centre = 0.1 * torch.ones(64)
    clamp = ClampSubspace(slice(0, 10), basis, centre)
    return train(replace(SMALL, compile=compile, batches=2, eval_every=1, interventions=(clamp,)), progress=False)


def test_a_clamp_holds_its_subspace_while_the_network_learns_and_is_tested() -> None:
    compiled, eager = _clamped(True), _clamped(False)
    assert [r["loss"] for r in compiled.log] == pytest.approx([r["loss"] for r in eager.log], rel=1e-4)
    (clamp,) = compiled.config.held_interventions()
    hidden = torch.as_tensor(compiled.evaluate().hidden)  # the clamp is part of the network when it is tested
    held = (hidden - clamp.centre) @ clamp.basis.T
    assert held[:, 1:11].abs().max() < 1e-5 and held[:, 11:].abs().max() > 1e-3  # steps 0-9 only


def _subspace(basis: list, centre: list) -> dict:
    return {"kind": "ClampSubspace", "steps": {"from": 0, "to": None}, "basis": basis, "centre": centre}


def test_a_network_learns_under_any_intervention_its_tests_can_apply() -> None:
    pulse = Perturb([3, 4], 0.5 * torch.ones(64))
    pulsed = [train(replace(SMALL, compile=c, batches=2, eval_every=1, interventions=(pulse,)), progress=False)
              for c in (True, False)]
    assert [r["loss"] for r in pulsed[0].log] == pytest.approx([r["loss"] for r in pulsed[1].log], rel=1e-4)
    plain = train(replace(SMALL, compile=False, batches=2, eval_every=1), progress=False)
    assert pulsed[1].log[0]["loss"] != plain.log[0]["loss"]
    (held,) = pulsed[1].config.held_interventions()
    assert isinstance(held, Perturb) and held.steps == [3, 4] and torch.equal(held.offset, pulse.offset)
    assert pulsed[1].evaluate().config["interventions"] == ["Perturb"]  # part of the network when tested


@pytest.mark.parametrize("bad, message", [
    ({"interventions": (_subspace([[1.0] * 64], [0.0] * 64),)}, "orthonormal"),
    ({"interventions": (_subspace([[1.0] + [0.0] * 63], [0.0] * 3),)}, "64 numbers"),
    ({"interventions": ({"kind": "Clamp", "steps": [1], "units": [70]},)}, r"\[0, 64\)"),
    ({"interventions": ({"kind": "Lobotomy", "steps": [1]},)}, "unknown intervention"),
    ({"probe_field": "sideways"}, "sideways"),
])
def test_bad_clamps_and_probes_are_refused(bad: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(SMALL, **bad)


def test_a_different_configuration_does_not_overwrite_a_checkpoint(tmp_path: Path) -> None:
    train(replace(SMALL, compile=False, batches=3), out=tmp_path, progress=False)
    with pytest.raises(CheckpointError, match="different configuration"):
        train(replace(SMALL, compile=False, batches=3, lr=1e-2), out=tmp_path, progress=False)


@pytest.mark.parametrize("bad", [{"batches": 0}, {"batch_size": -1}, {"effector": "leg"}, {"field": "up"},
                                 {"vision_delay": 0.015}, {"unroll": 7}])
def test_bad_configurations_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        TrainConfig(**bad)


def test_train_step_weighs_the_named_terms_and_logs_each() -> None:
    config = replace(SMALL, compile=False, effort_weight=1e-3, smoothness_weight=1e-6, hidden_weight=1e-2)
    env, policy = training.build(config)
    sim = Simulator(env, policy)
    runner = EpisodeRunner(sim, config.unroll, compile=False)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
    batch = training.draw_batch(env, sim, config.force_field(), 8, torch.Generator().manual_seed(0))
    before = {k: v.clone() for k, v in policy.state_dict().items()}
    (row,) = training.train_step(runner, optimizer, batch, config.loss_weights(), config.grad_clip)  # one network
    assert set(row) == {"loss", "loss_distance", "loss_effort", "loss_smoothness", "loss_hidden"}
    expected = (row["loss_distance"] + 1e-3 * row["loss_effort"] + 1e-6 * row["loss_smoothness"]
                + 1e-2 * row["loss_hidden"])
    assert row["loss"] == pytest.approx(expected, rel=1e-6)
    assert any(not torch.equal(before[k], v) for k, v in policy.state_dict().items())  # the weights moved
    result = train(config, progress=False)
    assert all({"loss_distance", "loss_effort", "loss_smoothness", "loss_hidden", "distance_cm"} <= set(r)
               for r in result.log)
    assert all(r["distance_cm"] == pytest.approx(100 * r["loss_distance"]) for r in result.log)


def test_train_step_is_short_enough_to_print() -> None:
    """Chapter 2 prints it: at most 20 lines of at most 80 columns."""
    import inspect

    lines = inspect.getsource(training.train_step).splitlines()
    assert len(lines) <= 20 and max(len(line) for line in lines) <= 80

