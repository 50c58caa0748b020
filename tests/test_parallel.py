"""Data parallelism: two processes train the same network as one, to float rounding, and deterministically."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from motorkit import parallel
from motorkit.loss import Batch
from motorkit.closed_loop import Noise
from motorkit.fields import HandLoad
from motorkit.tasks import Trials
from motorkit.checkpoints import load_checkpoint
from motorkit.modelcache import cache_dir
from motorkit.training import TrainConfig, train

SMALL = TrainConfig(batch_size=16, batches=6, duration=0.2, compile=False, eval_every=3)


def _weights(result) -> np.ndarray:
    return torch.cat([p.detach().flatten() for p in result.policy.parameters()]).numpy()


def test_two_processes_give_the_loss_curve_of_one() -> None:
    one = train(replace(SMALL, workers=1), progress=False)
    two = train(replace(SMALL, workers=2), progress=False)
    for a, b in zip(one.log, two.log, strict=True):
        for key in ("loss", "loss_distance", "loss_effort", "loss_smoothness", "loss_hidden"):
            assert b[key] == pytest.approx(a[key], rel=1e-5, abs=1e-9), key
    assert two.log[2]["test_endpoint_error_cm"] == pytest.approx(one.log[2]["test_endpoint_error_cm"], rel=1e-4)
    np.testing.assert_allclose(_weights(two), _weights(one), atol=1e-5)
    assert not np.allclose(_weights(one), _weights(train(replace(SMALL, batches=1), progress=False)))  # it learned


def test_two_processes_same_seed_same_numbers(tmp_path: Path) -> None:
    config = replace(SMALL, workers=2)
    first = train(config, out=tmp_path / "a", progress=False)
    again = train(config, out=tmp_path / "b", progress=False)
    assert [row["loss"] for row in first.log] == [row["loss"] for row in again.log]
    np.testing.assert_array_equal(_weights(first), _weights(again))
    saved = load_checkpoint(tmp_path / "a")  # the leader wrote the checkpoint, with the whole log
    assert saved["finished"] and saved["log"] == first.log


def test_workers_are_chosen_by_batch_size_and_do_not_change_the_cache_key(monkeypatch) -> None:
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    assert parallel.workers_for(64) == 1 and parallel.workers_for(parallel.MIN_PARALLEL_BATCH) == 2
    assert parallel.workers_for(256, requested=1) == 1 and parallel.workers_for(16, requested=2) == 2
    assert parallel.workers_for(257) == 1 and parallel.workers_for(256, device="cuda") == 1
    with pytest.raises(ValueError, match="evenly"):
        parallel.workers_for(63, requested=2)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)
    assert parallel.workers_for(256) == 1
    assert cache_dir(TrainConfig(workers=2)) == cache_dir(TrainConfig(workers=0))
    with pytest.raises(ValueError, match="workers"):
        TrainConfig(workers=-1)


def test_take_shares_trials_out_evenly() -> None:
    trials = Trials(torch.zeros(4, 4), torch.zeros(4, 2), torch.arange(8.0).reshape(4, 2), torch.arange(4))
    batch = Batch(trials, HandLoad.viscous(torch.arange(16.0).reshape(4, 2, 2)),
                  Noise(torch.arange(12.0).reshape(3, 4, 1), *(torch.zeros(3, 4, 2) for _ in range(5))))
    second = parallel.take(batch, 1, 2)
    assert second.trials.target.tolist() == [[4.0, 5.0], [6.0, 7.0]] and second.trials.go.tolist() == [2, 3]
    assert second.noise.action[:, :, 0].tolist() == [[2.0, 3.0], [6.0, 7.0], [10.0, 11.0]]
    assert second.load.matrix[:, 0, 2].tolist() == [8.0, 12.0]  # each trial keeps its own force law
    with pytest.raises(ValueError, match="evenly"):
        parallel.take(batch, 0, 3)


def test_a_failing_process_is_reported_not_waited_for() -> None:
    # the second process runs abs(1, group=...): a TypeError there, so it exits with an error
    with pytest.raises(RuntimeError, match="training process failed"):
        with parallel.group(2, abs, (1,)) as group:
            assert group.leader and group.world == 2
