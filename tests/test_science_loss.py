"""Chapter 4 (loss analysis): the claims its text makes, asserted from its metrics file.

Each test names the sentence of the chapter it checks. The numbers come from the executed chapter
(``_build/metrics/04_loss_analysis.json``); nothing here is a typed-in result, so a test fails when
the chapter's data stop supporting its words.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from motorkit import publish, sweeps
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
                    "test_loss_final_by_seed_cm", "cost_share_final_by_seed", "cost_share_early_by_seed",
                    "effort_hidden_share_final_by_seed", "jerk_cost_change_by_seed",
                    "whole_loss_ratio_by_seed", "loss_over_distance_max_by_seed"):
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


def test_first_updates_raise_the_loss(m: dict) -> None:
    """'The first updates ... raise it': in every run the distance term of batches 2-11 peaks 'more than a
    quarter' above batch 1."""
    for f in FIELDS:
        assert all(j > 1.25 for j in m[f"{f}_jump_by_seed"]), f


def test_test_loss_comes_back_to_first_exposure(m: dict) -> None:
    """'the test loss is back at its first-exposure level only after ... batches' (it does come back)."""
    for f in FIELDS:
        recovered = m[f"{f}_recovered_batch_by_seed"]
        assert all(r is not None and 0 < r <= m["adapt_batches"] for r in recovered), f


def test_smaller_learning_rate_gives_a_smaller_jump(m: dict) -> None:
    """'a learning rate three times smaller ... every network's distance term climbs less than half as
    far above its batch-1 value as in its CW run here' (same network, field, batch size, first batch)."""
    assert m["study_lr"] < m["adapt_lr"]
    study = m["study_jump_by_seed_at_adapt_batch_size"]
    assert len(study) == len(m["seeds"]), "the study must include chapter 3's batch size"
    for network, (small, large) in enumerate(zip(study, m["cw_jump_by_seed"])):
        assert small - 1 < 0.5 * (large - 1), network


def test_moving_average_falls_on_most_steps(m: dict) -> None:
    """Past the transient the moving average falls on most of its steps, in every run."""
    for f in FIELDS:
        assert all(x > 0.5 for x in m[f"{f}_falling_fraction_by_seed"]), f
        assert all(0 <= r for r in m[f"{f}_largest_rise_by_seed"]), f


def test_the_two_fields_give_curves_of_the_same_shape_and_height(m: dict) -> None:
    """Figure 4.1 and the text: 'curves of much the same shape and height': the mean last / batch 1 and
    the mean final distance term of the two fields are 'each pair within a quarter of each other'."""
    cw_ratio, ccw_ratio = np.mean(m["cw_loss_ratio_by_seed"]), np.mean(m["ccw_loss_ratio_by_seed"])
    assert abs(cw_ratio - ccw_ratio) < 0.25 * min(cw_ratio, ccw_ratio)
    cw, ccw = m["cw_final_loss"], m["ccw_final_loss"]
    assert abs(cw - ccw) < 0.25 * min(cw, ccw)


def test_whole_loss_falls_too(m: dict) -> None:
    """'The whole loss, costs included, falls too: ... less than half [of its batch-1 value] in every run'."""
    for f in FIELDS:
        assert all(r < 0.5 for r in m[f"{f}_whole_loss_ratio_by_seed"]), f


def test_costs_are_a_sizeable_share_of_the_loss(m: dict) -> None:
    """'The costs are not a negligible penalty': over the last batches 'more than a fifth [of the loss] in
    every run', 'effort and hidden activity together stay below 1 %'; early on 'less than half of their
    final share in every run'; 'the jerk cost does not even halve' (last batches over the early median)."""
    for f in FIELDS:
        final = m[f"{f}_cost_share_final_by_seed"]
        assert all(0.2 < share < 1 for share in final), f
        assert all(minor < 0.01 for minor in m[f"{f}_effort_hidden_share_final_by_seed"]), f
        assert all(early < 0.5 * late for early, late in zip(m[f"{f}_cost_share_early_by_seed"], final)), f
        assert all(c > 0.5 for c in m[f"{f}_jerk_cost_change_by_seed"]), f


def test_jerk_cost_spikes_the_whole_loss(m: dict) -> None:
    """'in some runs the whole loss is more than twice its distance term on a batch' (the jerk cost: the
    other costs are tiny, see above)."""
    peaks = [p for f in FIELDS for p in m[f"{f}_loss_over_distance_max_by_seed"]]
    assert max(peaks) > 2


# --------------------------------------------------------------------------------------------------
# "Does a larger batch learn better?"


def test_per_batch_larger_batch_ends_lower_beyond_the_spread(m: dict) -> None:
    """'Per batch: yes': what the largest batch gains over the smallest, network by network (mean), is
    more than the spread of the final loss between networks, and 'on average over the networks the
    smallest batch ends highest' (network by network it can come second: a few hundredths of a cm)."""
    final = np.asarray(m["final_loss_by_batch_size_and_seed"], dtype=float)
    effect = sweeps.effect_against_spread(dict(zip(m["batch_sizes"], final)))
    gain, between = effect["gain"], effect["spread"]
    assert np.allclose(m["batch_gain_by_network_cm"], gain)
    assert m["batch_gain_mean_cm"] == pytest.approx(effect["mean"])
    assert m["final_loss_between_network_sd_cm"] == pytest.approx(between)
    assert gain.mean() > between
    assert final[0].mean() > final[1:].mean(axis=1).max()


def test_per_batch_gain_is_mostly_over_by_the_second_batch_size(m: dict) -> None:
    """'but mostly up to batches of [the second size]': from there on the mean final losses differ by less
    than half of what the largest batch gains over the smallest."""
    mean = np.asarray(m["final_loss_by_batch_size"], dtype=float)
    spread = mean[1:].max() - mean[1:].min()
    assert m["final_loss_range_from_second_batch_size_cm"] == pytest.approx(spread)
    assert spread < m["batch_gain_mean_cm"] / 2


def test_smallest_batch_needs_the_most_batches(m: dict) -> None:
    """'getting 90 % of the way ... takes [more] batches with the smallest batch [than] with the larger ones'."""
    batches = m["batches_to_level_by_batch_size"]
    assert batches[0] > max(batches[1:])


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
    """'A batch of the largest size costs only ... times the time of one of the smallest, far less than the
    ... times as many reaches'. Only the two ends are claimed: between the larger sizes the cost per
    reach is nearly flat, and which of two neighbours is cheaper is up to the machine's load."""
    sizes = np.asarray(m["batch_sizes"], dtype=float)
    spb = np.asarray(m["seconds_per_batch_by_batch_size"], dtype=float)
    assert spb[-1] > spb[0]  # a larger batch does cost more
    assert spb[-1] / sizes[-1] < spb[0] / sizes[0]  # but less per reach
    assert spb[-1] / spb[0] < 0.25 * sizes[-1] / sizes[0]


def test_wallclock_grows_with_batch_size(m: dict) -> None:
    """The runs' training time (same number of batches) is longest for the largest batch."""
    wall = m["wallclock_s_by_batch_size"]
    assert wall[-1] == max(wall) and wall[-1] > wall[0]
