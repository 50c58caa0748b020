"""Sweeps run through joblib on local processes and on a Dask cluster; the model cache trains once."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from motorkit import modelcache, training
from motorkit.sweeps import ENSEMBLE_TRIALS, ensembles, run_sweep
from motorkit.modelcache import cache_dir, train_cached
from motorkit.training import TrainConfig
from motorkit.traininglog import TrainingLog

TINY = TrainConfig(batch_size=8, batches=2, duration=0.2, eval_every=2, compile=False)


@pytest.fixture(autouse=True)
def _private_build_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", str(tmp_path / "build"))


def test_cache_trains_once_and_keys_on_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    first = train_cached(TINY, progress=False)
    calls = {"n": 0}
    original = training.train_together

    def counting(*args, **kwargs):
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(modelcache, "train_together", counting)
    again = train_cached(TINY, progress=False)
    assert calls["n"] == 0 and again.log == first.log
    assert cache_dir(replace(TINY, seed=1)) != cache_dir(TINY)
    assert cache_dir(replace(TINY, device="cuda")) == cache_dir(TINY)  # where it ran is not what it is
    train_cached(replace(TINY, seed=1), progress=False)
    assert calls["n"] == 1


def test_sweep_on_local_processes_keeps_input_order() -> None:
    # the longest run is dispatched first; the results still come back in the order asked
    configs = [replace(TINY, seed=s, batch_size=b) for s, b in ((0, 4), (1, 16), (2, 8))]
    runs = run_sweep(configs, n_jobs=2, progress=False)
    assert [(r.config.seed, r.config.batch_size) for r in runs] == [(0, 4), (1, 16), (2, 8)]
    assert all(len(r.log) == 2 and (r.out / "checkpoint.pt").exists() for r in runs)
    assert runs[0].log[-1]["loss"] != runs[1].log[-1]["loss"]
    with warnings.catch_warnings():  # all cached now: loaded here, without a worker or a warning
        warnings.simplefilter("error")
        again = run_sweep(configs, n_jobs=2, progress=False)
    assert [r.log[-1]["loss"] for r in again] == [r.log[-1]["loss"] for r in runs]


def test_sweep_on_a_local_dask_cluster() -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        runs = run_sweep([replace(TINY, seed=s, batch_size=b) for s, b in ((0, 8), (1, 16))],
                         n_jobs=2, backend="dask", progress=False)
    assert [r.config.batch_size for r in runs] == [8, 16]
    local = training.train(replace(TINY, seed=0, batch_size=8), progress=False)  # no cache: a real rerun
    assert local.log[-1]["loss"] == runs[0].log[-1]["loss"]  # the same run, wherever it ran


def test_runs_of_one_shape_are_grouped_into_ensembles() -> None:
    same = [replace(TINY, seed=s, field=f) for s, f in ((0, "null"), (1, "cw"), (2, "ccw"))]
    other = [replace(TINY, batch_size=16), replace(TINY, effector="pointmass"), replace(TINY, batches=3)]
    # three of one shape together; a different batch, effector or budget alone
    assert sorted(map(sorted, ensembles(same + other, n_jobs=2))) == [[0, 1, 2], [3], [4], [5]]
    assert sorted(map(sorted, ensembles(same, n_jobs=2))) == [[0], [1, 2]]  # both processes get work
    assert sorted(map(sorted, ensembles(same, n_jobs=1))) == [[0, 1, 2]]
    assert ensembles(same, n_jobs=2, together=False) == [[0], [1], [2]]
    big = [replace(TINY, seed=s, batch_size=ENSEMBLE_TRIALS // 2) for s in range(5)]
    assert sorted(map(len, ensembles(big, n_jobs=1))) == [1, 2, 2]  # at most ENSEMBLE_TRIALS trials a batch


def test_a_sweep_trains_runs_of_one_shape_together_each_into_its_own_cache_entry() -> None:
    configs = [replace(TINY, seed=s, field=f) for s, f in ((0, "null"), (1, "cw"), (2, "ccw"))]
    runs = run_sweep(configs, n_jobs=1, progress=False)
    # one ensemble: every step of every member ends at the same moment
    assert runs[0].log.curve("wall_s").values.tolist() == runs[2].log.curve("wall_s").values.tolist()
    for config, run in zip(configs, runs):
        assert run.out == cache_dir(config) and modelcache.is_cached(config)
        alone = training.train(config, progress=False)  # no cache: a real rerun, alone
        assert [r["loss"] for r in run.log] == pytest.approx([r["loss"] for r in alone.log], rel=1e-4)


def test_bad_job_count() -> None:
    with pytest.raises(ValueError):
        run_sweep([TINY], n_jobs=0)


# --------------------------------------------------------------------------------------------------
# Reading sweep logs (the batch-size study of chapter 4)


def _log(walls: list[float], eval_every: int) -> TrainingLog:
    rows = []
    for i, w in enumerate(walls, start=1):
        row = {"batch": i, "loss": 1.0 / i, "wall_s": w}
        if i % eval_every == 0:
            row["test_distance_cm"] = 10.0 / i
        rows.append(row)
    return TrainingLog(rows)


def test_batch_seconds_leave_out_compile_evaluations_and_checkpoints() -> None:
    import numpy as np

    from motorkit import sweeps

    # batch 1 compiles (5 s); batches 2-8 take 0.1 s; evaluations after batches 2, 4, 6 cost 1 s more,
    # the checkpoint after batch 4 another 2 s
    steps = [5.0, 0.1, 1.1, 0.1, 3.1, 0.1, 1.1, 0.1]
    log = _log(list(np.cumsum(steps)), eval_every=2)
    seconds = sweeps.batch_seconds(log, checkpoint_every=4)
    assert np.allclose(seconds, 0.1)
    assert sweeps.seconds_per_batch(log, checkpoint_every=4) == pytest.approx(0.1)
    assert np.allclose(sweeps.training_seconds(log, checkpoint_every=4), 0.1 * np.arange(1, 9))
    batches, values = log.curve("test_distance_cm")
    assert list(batches) == [2, 4, 6, 8] and values[0] == 5.0


def test_moving_average_and_first_crossing() -> None:
    import numpy as np

    from motorkit import sweeps

    assert np.allclose(sweeps.moving_average([1, 2, 3, 4], 2), [1.5, 2.5, 3.5])
    with pytest.raises(ValueError):
        sweeps.moving_average([1, 2], 3)
    assert sweeps.first_crossing([0, 10, 20], [4.0, 2.0, 1.0], 3.0) == pytest.approx(5.0)
    assert sweeps.first_crossing([0, 10], [4.0, 2.0], 4.0) == 0.0
    assert np.isnan(sweeps.first_crossing([0, 10], [4.0, 2.0], 1.0))


def test_seed_curves_stack_runs_of_one_batch_size() -> None:
    import numpy as np

    from motorkit import sweeps

    runs = [sweeps.SweepRun(replace(TINY, seed=s, batches=4, eval_every=2),
                            _log([1.0, 1.5, 2.0, 2.5], eval_every=2), Path(".")) for s in (0, 1)]
    curves = sweeps.seed_curves(runs, start={0: {"test_distance_cm": 9.0}, 1: {"test_distance_cm": 8.0}})
    assert list(curves.batches) == [0, 2, 4] and list(curves.samples) == [0, 16, 32]
    assert curves.values.shape == (2, 3) and list(curves.values[:, 0]) == [9.0, 8.0]
    assert np.allclose(curves.seconds, [[0, 1.0, 2.0], [0, 1.0, 2.0]])  # 0.5 s a batch, compile left out
    assert np.allclose(curves.at("seconds", 0.5), [7.0, 6.5])
    with pytest.raises(ValueError):
        sweeps.seed_curves(runs + [sweeps.SweepRun(replace(TINY, batch_size=16), runs[0].log, Path("."))])


def test_decrease_summary_measures_drop_and_rises() -> None:
    import numpy as np

    from motorkit import sweeps

    falling = sweeps.decrease_summary(np.linspace(10, 2, 50), window=5)
    assert falling["initial"] == pytest.approx(10 - 2 * 8 / 49 * 1) and falling["ratio"] < 0.25
    assert falling["largest_rise"] == 0.0 and falling["falling_fraction"] == 1.0
    bumpy = np.r_[np.linspace(10, 4, 20), np.linspace(4, 6, 10), np.linspace(6, 2, 20)]
    summary = sweeps.decrease_summary(bumpy, window=1)
    assert summary["largest_rise"] == pytest.approx(2 / 8)
    assert summary["half_drop_batch"] == pytest.approx(1 + 19 * 4 / 6)


def test_start_transient_measures_the_jump_and_the_recovery() -> None:
    from motorkit import sweeps

    losses = [3.0, 24.0, 12.0, 6.0, 4.0, 2.5, 2.0, 2.0]
    tests = {2: 14.0, 4: 6.0, 6: 4.0, 8: 3.0}
    log = [{"batch": i, "distance_cm": v, "wall_s": float(i), **({"test_distance_cm": tests[i]} if i in tests else {})}
           for i, v in enumerate(losses, start=1)]
    out = sweeps.start_transient(TrainingLog(log), reference=5.0, window=3)
    assert out["first"] == 3.0 and out["jump"] == 8.0 and out["test_peak"] == 14.0
    assert out["recovered_batch"] == pytest.approx(4 + 2 * (1.0 / 2.0))  # between batch 4 (6 cm) and 6 (4 cm)


def test_costs_to_level_and_equal_time_compare_batch_sizes() -> None:
    import numpy as np

    from motorkit import sweeps

    def curves(size: int, values: list[float], seconds: list[float]) -> sweeps.SeedCurves:
        return sweeps.SeedCurves(size, [0, 1], np.array([0.0, 10.0, 20.0]), np.array([values, values]),
                                 np.array([seconds, seconds]), np.ones(2), np.ones(2))

    study = {8: curves(8, [4.0, 2.0, 1.0], [0.0, 1.0, 2.0]), 64: curves(64, [4.0, 1.0, 0.5], [0.0, 4.0, 8.0])}
    cost = sweeps.costs_to_level(study, level=2.0)
    assert cost["batches"] == [pytest.approx(10.0), pytest.approx(20 / 3)]
    assert cost["samples"] == [pytest.approx(80.0), pytest.approx(64 * 20 / 3)]
    assert cost["seconds"] == [pytest.approx(1.0), pytest.approx(8 / 3)]
    assert np.isnan(sweeps.costs_to_level(study, level=0.1)["batches"]).all()
    t_equal, values = sweeps.at_equal_time(study)
    assert t_equal == pytest.approx(2.0)  # the quicker batch size trained for 2 s
    assert values == pytest.approx([1.0, 2.5])  # the larger batch, after 2 of its 8 s
    assert study[64].final(last_batches=15) == pytest.approx([0.75, 0.75])  # evaluations at batches 10 and 20


def test_effect_against_spread_compares_the_batch_effect_with_network_differences() -> None:
    import numpy as np

    from motorkit import sweeps

    final = {1024: np.array([2.0, 2.4, 2.2]), 8: np.array([2.3, 2.5, 2.1])}  # any order of sizes
    effect = sweeps.effect_against_spread(final)
    assert np.allclose(effect["gain"], [0.3, 0.1, -0.1])
    assert effect["mean"] == pytest.approx(0.1) and effect["sd"] == pytest.approx(0.2)
    assert effect["spread"] == pytest.approx(np.mean([0.2, 0.2]))


def test_loss_costs_split_the_loss_into_distance_and_costs() -> None:
    from motorkit.loss import LossWeights
    from motorkit.sweeps import by_seed, loss_costs

    # 6 batches: distance falls 4 -> 1; effort 1, jerk 2 -> 1, hidden 0 (weights 0.5, 1, 2)
    distance = [4.0, 4.0, 2.0, 2.0, 1.0, 1.0]
    jerk = [2.0, 2.0, 1.0, 1.0, 1.0, 1.0]
    weights = LossWeights(effort=0.5, smoothness=1.0, hidden=2.0)
    log = TrainingLog([{"batch": b + 1, "loss_distance": d, "loss_effort": 1.0, "loss_smoothness": j,
                        "loss_hidden": 0.0, "loss": d + 0.5 + j} for b, (d, j) in enumerate(zip(distance, jerk))])
    costs = loss_costs(log, weights, 2)
    assert costs["final"] == pytest.approx(1 - 1.0 / 2.5)  # last two: loss 2.5, distance 1
    assert costs["early"] == pytest.approx(1 - 4.0 / 6.5)
    assert costs["minor"] == pytest.approx(0.5 / 2.5)
    assert costs["jerk_change"] == pytest.approx(0.5)
    assert costs["whole_ratio"] == pytest.approx(2.5 / 6.5)
    assert costs["peak"] == pytest.approx(2.5)  # loss / distance is largest at the end
    table = {("cw", 1): {"x": 1.0}, ("cw", 0): {"x": 0.0}, ("ccw", 0): {"x": 9.0}}
    assert by_seed(table, "cw", "x", [0, 1]) == [0.0, 1.0]
