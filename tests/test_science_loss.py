"""Chapter 4 (loss analysis): the claims its text makes, asserted from its metrics file.

Each test names the sentence of the chapter it checks. The numbers come from the executed chapter
(``_build/metrics/04_loss_analysis.json``); nothing here is a typed-in result, so a test fails when
the chapter's data stop supporting its words.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from motorkit import publish
from motorkit.io import read_metrics

STEM = "04_loss_analysis"
FIELDS = ("cw", "ccw")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def m(executed_chapters: dict[str, publish.ChapterResult]) -> dict:
    result = executed_chapters.get(STEM)
    assert result is not None, f"{STEM} is not in _toc.yml"
    assert result.ok, result.error
    return read_metrics(STEM)


def _decreasing(values) -> bool:
    return bool(np.all(np.diff(np.asarray(values, dtype=float)) < 0))


def _increasing(values) -> bool:
    return bool(np.all(np.diff(np.asarray(values, dtype=float)) > 0))


# --------------------------------------------------------------------------------------------------
# What the metrics file holds


def test_keys_exist_with_matching_lengths(m: dict) -> None:
    sizes = m["batch_sizes"]
    assert len(sizes) >= 4 and min(sizes) <= 8 and max(sizes) >= 1024 and sizes == sorted(sizes)
    assert len(m["seeds"]) >= 3
    per_size = ["final_loss_by_batch_size", "final_loss_sd_by_batch_size", "wallclock_s_by_batch_size",
                "run_wall_s_by_batch_size", "seconds_per_batch_by_batch_size", "batches_to_level_by_batch_size",
                "samples_to_level_by_batch_size", "seconds_to_level_by_batch_size",
                "loss_at_equal_time_by_batch_size", "final_loss_by_batch_size_and_seed",
                "seconds_per_batch_by_batch_size_and_seed"]
    for key in per_size:
        assert len(m[key]) == len(sizes), key
    for key in ("final_loss_by_batch_size_and_seed", "seconds_per_batch_by_batch_size_and_seed"):
        assert all(len(row) == len(m["seeds"]) for row in m[key]), key
    for f in FIELDS:
        for key in ("loss_ratio_by_seed", "first_loss_by_seed", "jump_by_seed", "recovered_batch_by_seed",
                    "largest_rise_by_seed", "falling_fraction_by_seed", "final_loss_by_seed",
                    "test_loss_final_by_seed_cm"):
            assert len(m[f"{f}_{key}"]) == len(m["seeds"]), f"{f}_{key}"
        assert f"{f}_final_loss" in m and f"{f}_test_loss_first_exposure_cm" in m
        assert len(m[f"{f}_test_loss_first_exposure_by_seed_cm"]) == len(m["seeds"])
    assert len(m["batch_gain_by_network_cm"]) == len(m["seeds"])
    # the mean final loss is the mean of the per-seed values
    assert np.allclose(m["final_loss_by_batch_size"], np.mean(m["final_loss_by_batch_size_and_seed"], axis=1))
    for value in m["samples_to_level_by_batch_size"] + m["seconds_to_level_by_batch_size"]:
        assert value is not None and math.isfinite(value), "every batch size must reach the level"


# --------------------------------------------------------------------------------------------------
# "The adaptation losses, seed by seed"


def test_training_loss_decreases_in_every_network_and_field(m: dict) -> None:
    """'Decreasing: yes, in every network and both fields' (last batches below batch 1; test loss below
    each network's first exposure)."""
    assert m["seeds"] == [m["seed"] + i for i in range(len(m["seeds"]))] and len(m["seeds"]) >= 3
    for f in FIELDS:
        assert all(r < 1 for r in m[f"{f}_loss_ratio_by_seed"]), f
        pairs = zip(m[f"{f}_test_loss_final_by_seed_cm"], m[f"{f}_test_loss_first_exposure_by_seed_cm"])
        assert all(final < first for final, first in pairs), f


def test_first_updates_multiply_the_loss(m: dict) -> None:
    """'The first updates ... multiply it': in every run the loss of batches 2-11 peaks above twice batch 1."""
    for f in FIELDS:
        assert all(j > 2 for j in m[f"{f}_jump_by_seed"]), f


def test_test_loss_comes_back_to_first_exposure(m: dict) -> None:
    """'the test loss is back at its first-exposure level only after ... batches' (it does come back)."""
    for f in FIELDS:
        recovered = m[f"{f}_recovered_batch_by_seed"]
        assert all(r is not None and 0 < r <= m["adapt_batches"] for r in recovered), f


def test_smaller_learning_rate_gives_a_smaller_jump(m: dict) -> None:
    """'a learning rate three times smaller ... there the jump is much smaller' (same batch size)."""
    assert m["study_lr"] < m["adapt_lr"]
    study = m["study_jump_by_seed_at_adapt_batch_size"]
    assert study, "the study must include chapter 3's batch size"
    adapt = [j for f in FIELDS for j in m[f"{f}_jump_by_seed"]]
    assert max(study) < min(adapt)


def test_moving_average_falls_on_most_steps(m: dict) -> None:
    """Past the transient the moving average falls on most of its steps, in every run."""
    for f in FIELDS:
        assert all(x > 0.5 for x in m[f"{f}_falling_fraction_by_seed"]), f
        assert all(0 <= r for r in m[f"{f}_largest_rise_by_seed"]), f


def test_the_two_fields_give_nearly_the_same_curve(m: dict) -> None:
    """Figure 4.1: 'the two fields give nearly the same curve' (final losses within 10 % of each other)."""
    cw, ccw = m["cw_final_loss"], m["ccw_final_loss"]
    assert abs(cw - ccw) < 0.1 * min(cw, ccw)


def test_penalty_is_negligible(m: dict) -> None:
    """The plotted distance term is the loss but for a penalty 'that never exceeds' a tiny share of it."""
    assert m["penalty_share_max"] < 0.01


# --------------------------------------------------------------------------------------------------
# "Does a larger batch learn better?"


def test_per_batch_effect_is_within_the_spread_between_networks(m: dict) -> None:
    """'Per batch: not beyond the differences between networks': what the largest batch gains over the
    smallest, network by network (mean), is smaller than the spread of the final loss between networks."""
    final = np.asarray(m["final_loss_by_batch_size_and_seed"], dtype=float)
    gain = final[0] - final[-1]
    assert np.allclose(m["batch_gain_by_network_cm"], gain)
    assert m["batch_gain_mean_cm"] == pytest.approx(gain.mean())
    between = np.mean(final.std(axis=1, ddof=1))
    assert m["final_loss_between_network_sd_cm"] == pytest.approx(between)
    assert abs(gain.mean()) < between


def test_per_sample_every_increase_of_batch_size_costs_more_reaches(m: dict) -> None:
    """'Per sample: no, the opposite': samples to reach the level grow with every increase of the batch size."""
    assert _increasing(m["samples_to_level_by_batch_size"])


def test_per_second_largest_batch_loses_on_this_machine(m: dict) -> None:
    """'Per second: no': the largest batch takes longer to the level and is behind at equal training time."""
    seconds = m["seconds_to_level_by_batch_size"]
    assert seconds[-1] > seconds[0]
    at_equal_time = m["loss_at_equal_time_by_batch_size"]
    assert at_equal_time[-1] > at_equal_time[0]


def test_seconds_per_batch_grow_less_than_the_batch(m: dict) -> None:
    """'costs only ... times the time ..., far less than the ... times as many reaches': per-sample cost falls."""
    sizes = np.asarray(m["batch_sizes"], dtype=float)
    spb = np.asarray(m["seconds_per_batch_by_batch_size"], dtype=float)
    assert spb[-1] > spb[0]  # a larger batch does cost more
    assert _decreasing(spb / sizes)
    assert spb[-1] / spb[0] < 0.25 * sizes[-1] / sizes[0]


def test_wallclock_grows_with_batch_size(m: dict) -> None:
    """The runs' training time (same number of batches) is longest for the largest batch."""
    wall = m["wallclock_s_by_batch_size"]
    assert wall[-1] == max(wall) and wall[-1] > wall[0]
