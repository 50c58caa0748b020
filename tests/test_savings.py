"""motorkit.savings: criteria and rates on learning curves, preparatory shifts, shift clamps, the two-state model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from motorkit import savings
from motorkit.modelcache import train_cached
from motorkit.training import TrainConfig, TrainResult, train
from motorkit.traininglog import TrainingLog


def _log(errors, index=None):
    rows = [{"batch": b + 1, "distance_cm": e} for b, e in enumerate(errors)]
    for row, value in zip(rows, index or []):
        if value is not None:
            row["test_adaptation_index"] = value
    return TrainingLog(rows)


def test_the_savings_protocol_is_ff1_nf2_ff2():
    blocks = savings.savings_blocks(50, 80, 1e-3)
    assert [(b.name, b.field, b.batches, b.lr) for b in blocks] == [
        ("FF1", "cw", 50, 1e-3), ("NF2", "null", 80, 1e-3), ("FF2", "cw", 50, 1e-3)]
    assert savings.savings_blocks(30)[1].batches == 30


def test_batches_to_criterion_reads_the_smoothed_curve_both_ways():
    log = _log(np.linspace(3.0, 0.5, 26), [i / 25 for i in range(26)])  # error falls 0.1 per batch
    assert savings.batches_to_criterion(log, 1.2, smooth=1) == pytest.approx(19.0)
    assert savings.batches_to_criterion(log, 0.5, key=savings.INDEX, rising=True, smooth=1) == pytest.approx(13.5)
    assert math.isnan(savings.batches_to_criterion(log, 0.1))  # never reached within the block
    with pytest.raises(ValueError, match="channel_probe"):
        savings.batches_to_criterion(_log([1.0, 0.5]), 0.5, key=savings.INDEX)


def test_the_early_rate_is_the_share_of_the_excess_error_removed_per_batch():
    baseline = 0.5
    errors = baseline + 2.0 * 0.9 ** np.arange(20)  # 10% of the excess gone each batch
    rate = savings.early_rate(_log(errors), 10, baseline, smooth=1)
    assert rate == pytest.approx((1 - 0.9 ** 9) / 9)
    assert savings.early_rate(_log(baseline + 2.0 * 0.8 ** np.arange(20)), 10, baseline, smooth=1) > rate


def test_the_preparatory_steps_end_before_the_earliest_cue_can_be_seen():
    config = TrainConfig(delay=(0.3, 0.6), vision_delay=0.1, duration=2.0)
    assert savings.preparatory_steps(config) == 30 + 10  # 10 ms steps
    with pytest.raises(ValueError, match="no delay period"):
        savings.preparatory_steps(TrainConfig())


def test_a_uniform_shift_and_how_much_of_it_is_left():
    rng = np.random.default_rng(0)
    before = rng.standard_normal((8, 6))
    vector = np.array([1.0, 0, 0, 0, 0, 0])
    first = savings.shift(before + vector, before)
    assert first.size == pytest.approx(1.0) and first.uniform_fraction == pytest.approx(1.0)
    np.testing.assert_allclose(first.direction, vector)
    later = savings.shift(before + 0.4 * vector + [0, 0.3, 0, 0, 0, 0], before)
    assert savings.fraction_remaining(later, first) == pytest.approx(0.4)
    scattered = savings.shift(before + rng.standard_normal((8, 6)), before)
    assert scattered.uniform_fraction < 0.5


def test_a_shift_clamp_sets_the_coordinate_before_the_movement_while_the_network_learns():
    direction, centre = np.eye(64)[3] * 2.0, np.full(64, 0.25)
    changes = savings.shift_clamp(direction, centre, steps=5)
    config = TrainConfig(batch_size=64, batches=1, duration=0.3, eval_every=1, compile=False, **changes)
    (clamp,) = config.held_interventions()
    assert clamp.basis.shape == (1, 64) and clamp.basis[0, 3] == pytest.approx(1.0)  # a unit vector
    hidden = train(config, progress=False).evaluate().hidden
    assert np.allclose(hidden[:, 1:6, 3], 0.25, atol=1e-6) and not np.allclose(hidden[:, 7:, 3], 0.25)


def test_a_clamped_block_starts_from_its_network_with_the_clamp(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", str(tmp_path))
    start = train_cached(TrainConfig(batch_size=64, batches=1, duration=0.3, eval_every=1, compile=False),
                         progress=False)
    block = savings.savings_blocks(2)[0]
    config = savings.clamped_config(start, block, np.eye(64)[5], np.zeros(64), steps=4)
    assert config.init == str(start.out) and config.field == "cw" and config.batches == 2
    (clamp,) = config.held_interventions()
    assert clamp.steps == slice(0, 4) and clamp.basis[0, 5] == 1.0


def test_network_curves_stack_one_run_per_network():
    runs = {s: TrainResult(None, None, None, _log([3.0 - s, 2.0, 1.0]), None) for s in (0, 1)}
    batches, values = savings.network_curves(runs, smooth=1)
    assert batches.tolist() == [1, 2, 3] and values.tolist() == [[3.0, 2.0, 1.0], [2.0, 2.0, 1.0]]


def test_the_two_state_model_simulates_and_its_fit_recovers_it():
    schedule = np.concatenate([np.ones(150), np.zeros(40), np.ones(150)])
    truth = savings.TwoState(a_fast=0.6, b_fast=0.2, a_slow=0.98, b_slow=0.04)
    fast, slow = truth.simulate(schedule)
    assert fast[0] == pytest.approx(0.2) and slow[0] == pytest.approx(0.04)  # after the first step, e = 1
    observed = fast + slow
    observed[1::2] = np.nan  # measured every other step
    fit = savings.fit_two_state(observed, schedule)
    for name, value in truth.as_dict().items():
        assert fit.as_dict()[name] == pytest.approx(value, rel=0.05, abs=0.01)
    one = savings.fit_two_state(observed, schedule, processes=1)
    assert one.b_fast == 0.0 and one.rms_error(observed, schedule) > fit.rms_error(observed, schedule)
    assert 0 < savings.SMITH_2006.slow_share(np.ones(50)) < 0.5 < savings.SMITH_2006.slow_share(np.ones(500))
    with pytest.raises(ValueError, match="same length"):
        savings.fit_two_state([0.1, 0.2], schedule)
    with pytest.raises(ValueError, match="processes"):
        savings.fit_two_state(observed, schedule, processes=3)


def test_per_batch_joins_block_logs_with_gaps_where_nothing_was_measured():
    logs = [_log([1.0, 1.0], [None, 0.2]), _log([1.0], [0.4])]
    values = savings.per_batch(logs)
    assert np.isnan(values[0]) and values[1:].tolist() == [0.2, 0.4]


def test_block_curves_smooth_the_error_but_not_the_index():
    from types import SimpleNamespace

    errors = [3.0, 1.0, 2.0, 0.0, 1.0]
    runs = {0: SimpleNamespace(log=_log(errors, [0.1, 0.2, 0.3, 0.4, 0.5])),
            1: SimpleNamespace(log=_log([e + 1 for e in errors], [0.0] * 5))}
    x, y = savings.block_curves(runs, smooth=3)
    np.testing.assert_allclose(x, np.arange(1, 6))
    assert y.shape == (2, 5)
    np.testing.assert_allclose(y[:, 1:4], [[2.0, 1.0, 1.0], [3.0, 2.0, 2.0]])  # centred means of three
    _, index = savings.block_curves(runs, savings.INDEX, smooth=3)
    np.testing.assert_allclose(index, [[0.1, 0.2, 0.3, 0.4, 0.5], [0.0] * 5])


def test_criterion_batches_and_early_rates_per_network():
    from types import SimpleNamespace

    fast = SimpleNamespace(log=_log(list(np.linspace(3.0, 0.5, 26))))  # 0.1 cm less each batch
    slow = SimpleNamespace(log=_log(list(np.linspace(3.0, 1.75, 26))))  # 0.05 cm less
    runs = {"a": fast, "b": slow}
    np.testing.assert_allclose(savings.criterion_batches(runs, 2.0, smooth=1), [11.0, 21.0])
    rates = savings.early_rates(runs, 11, {"a": 1.0, "b": 2.0}, smooth=1)  # 1 cm over 10 batches, 0.5 cm
    np.testing.assert_allclose(rates, [1.0 / 2.0 / 10, 0.5 / 1.0 / 10])


def test_early_errors_average_each_networks_smoothed_curve_over_the_first_batches():
    from types import SimpleNamespace

    runs = {"a": SimpleNamespace(log=_log([4.0, 2.0, 3.0, 1.0, 0.0])),
            "b": SimpleNamespace(log=_log([1.0, 1.0, 1.0, 5.0, 5.0]))}
    np.testing.assert_allclose(savings.early_errors(runs, 3, smooth=1), [3.0, 1.0])
    smoothed = savings.block_curves(runs, smooth=3)[1][:, :2].mean(axis=1)
    np.testing.assert_allclose(savings.early_errors(runs, 2, smooth=3), smoothed)


def test_schedule_curves_keep_each_blocks_label_length_and_curves():
    from types import SimpleNamespace

    block = {0: SimpleNamespace(log=_log([2.0, 1.0], [0.2, 0.4]), config=SimpleNamespace(batches=2))}
    blocks = savings.schedule_curves([("FF1", block), ("FF2", block)], smooth=1)
    assert [(b.label, b.batches) for b in blocks] == [("FF1", 2), ("FF2", 2)]
    np.testing.assert_allclose(blocks[1].error[1], [[2.0, 1.0]])
    np.testing.assert_allclose(blocks[0].index[1], [[0.2, 0.4]])
