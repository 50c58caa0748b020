"""Sweeps run through joblib on local processes and on a Dask cluster; the model cache trains once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from motorkit import training
from motorkit.sweeps import run_sweep
from motorkit.training import TrainConfig, cache_dir, train_cached

TINY = TrainConfig(batch_size=8, batches=2, duration=0.2, eval_every=2, compile=False)


@pytest.fixture(autouse=True)
def _private_build_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", str(tmp_path / "build"))


def test_cache_trains_once_and_keys_on_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    first = train_cached(TINY, progress=False)
    calls = {"n": 0}
    original = training.train

    def counting(*args, **kwargs):
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(training, "train", counting)
    again = train_cached(TINY, progress=False)
    assert calls["n"] == 0 and again.log == first.log
    assert cache_dir(replace(TINY, seed=1)) != cache_dir(TINY)
    assert cache_dir(replace(TINY, device="cuda")) == cache_dir(TINY)  # where it ran is not what it is
    train_cached(replace(TINY, seed=1), progress=False)
    assert calls["n"] == 1


def test_sweep_on_local_processes_keeps_input_order() -> None:
    configs = [replace(TINY, seed=s) for s in (0, 1, 2)]
    runs = run_sweep(configs, n_jobs=2, progress=False)
    assert [r.config.seed for r in runs] == [0, 1, 2]
    assert all(len(r.log) == 2 and (r.out / "checkpoint.pt").exists() for r in runs)
    assert runs[0].log[-1]["loss"] != runs[1].log[-1]["loss"]


def test_sweep_on_a_local_dask_cluster() -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        runs = run_sweep([replace(TINY, seed=s, batch_size=b) for s, b in ((0, 8), (1, 16))],
                         n_jobs=2, backend="dask", progress=False)
    assert [r.config.batch_size for r in runs] == [8, 16]
    local = training.train(replace(TINY, seed=0, batch_size=8), progress=False)  # no cache: a real rerun
    assert local.log[-1]["loss"] == runs[0].log[-1]["loss"]  # the same run, wherever it ran


def test_bad_job_count() -> None:
    with pytest.raises(ValueError):
        run_sweep([TINY], n_jobs=0)
