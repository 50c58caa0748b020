"""The scientific claims of chapter 8 (savings and interference).

Each test asserts, from the metrics the executed chapter wrote (``_build/metrics/08_savings.json``), a
statement the chapter's text makes, over the networks the chapter trains (one per seed). Thresholds
are the ones the text states or implies ("close to", "well above", "within ten percent", "a part,
not all"), never the values measured. Definitions: book/conventions.md (savings, preparatory
shift, two-state model).
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sv(chapter_metrics) -> dict:
    return chapter_metrics("08_savings")


def _arr(sv: dict, key: str) -> np.ndarray:
    return np.asarray(sv[key], dtype=float)


def _per_network(sv: dict, key: str) -> np.ndarray:
    """A per-network dict (seed -> value) or list as an array in the order of the chapter's seeds."""
    value = sv[key]
    return np.array([value[str(s)] for s in sv["seeds"]] if isinstance(value, dict) else value, dtype=float)


# --------------------------------------------------------------------------------------------------
# Learning, washout and relearning


def test_ff1_is_learned_and_the_washout_returns_the_index_and_the_accuracy(sv: dict) -> None:
    """FF1 more than halves the error and brings the index above 0.6; at the end of NF2 the index is
    close to the naive network's (within 0.1), and the error back near NF1's (under 1.5 times it)."""
    assert np.all(_arr(sv, "ff1_start_error_cm") > 2 * _arr(sv, "ff1_end_error_cm"))
    assert np.all(_arr(sv, "ff1_end_index") > 0.6)
    naive = _per_network(sv, "naive_adaptation_index")
    assert np.all(np.abs(_arr(sv, "nf2_end_index") - naive) < 0.1)
    assert np.all(_arr(sv, "nf2_end_error_cm") < 1.5 * _per_network(sv, "null_error_cm"))


def test_the_networks_show_savings_after_the_washout(sv: dict) -> None:
    """FF2 has a lower early error than FF1 on average and in most networks (not always in every one), and
    reaches the criterion sooner on average (ratio above 1) and in most networks. (The early rate is
    reported, not claimed: over seeds it is faster in FF2 on average for some and slower for others.)"""
    early = {k: np.asarray(v) for k, v in sv["early_error_cm"].items()}
    assert early["FF2"].mean() < early["FF1"].mean() and (early["FF2"] < early["FF1"]).sum() > len(early["FF1"]) / 2
    assert len(sv["ff2_early_rate"]) == len(sv["ff1_early_rate"]) == len(early["FF1"])  # reported per network
    assert _arr(sv, "ff2_start_error_cm").mean() < _arr(sv, "ff1_start_error_cm").mean()  # "part of it is where FF2 starts"
    ff1, ff2 = _arr(sv, "ff1_batches_to_criterion"), _arr(sv, "ff2_batches_to_criterion")
    assert sv["savings_ratio"] > 1 and (ff2 < ff1).sum() > len(ff1) / 2


def test_a_longer_washout_leaves_the_savings_on_average(sv: dict) -> None:
    """After the longer washout, FF2's early error is still below FF1's on average (whether one network
    keeps its savings varies); the error at the end of that washout is back near NF1's (under 1.5 times
    it, on average)."""
    early = {k: np.asarray(v) for k, v in sv["early_error_cm"].items()}
    assert early["FF2, long washout"].mean() < early["FF1"].mean()
    long_end = np.mean(sv["washout_end_error_cm"]["NF2-long"])
    assert long_end < 1.5 * _per_network(sv, "null_error_cm").mean()


# --------------------------------------------------------------------------------------------------
# The hidden-state trace of learning


def test_ff1_shifts_the_preparatory_state_uniformly_and_the_shift_outlasts_the_washout(sv: dict) -> None:
    """The FF1 shift is uniform across targets (over 75% of the change in every network); on average more
    than half of it is left after NF2, and more than half in most networks; after the longer washout less,
    but still over 30% on average; the washout moves the state along the axis by at least half of FF1's
    shift (not back to NF1), and FF2 further than FF1 and NF2 did."""
    assert np.all(_arr(sv, "ff1_shift_uniform_fraction") > 0.75)
    left = _arr(sv, "nf2_shift_fraction_each")
    assert sv["nf2_shift_fraction_remaining"] > 0.5 and (left > 0.5).sum() > len(left) / 2
    left_long = _arr(sv, "nf2_long_shift_fraction_remaining")
    assert 0.3 < left_long.mean() < left.mean()
    along = sv["shift_along_ff1_axis"]
    assert np.mean(along["FF2"]) > max(np.mean(along["FF1"]), np.mean(along["NF2"]))
    assert np.mean(along["NF2"]) > 0.5 * np.mean(along["FF1"]) > 0


# --------------------------------------------------------------------------------------------------
# Interventions on learning


def test_removing_the_shift_takes_away_part_of_the_savings_but_not_all(sv: dict) -> None:
    """With the shift removed, FF2's early error is above intact FF2's in most networks, and on average
    lies between intact FF2's and FF1's."""
    early = {k: np.asarray(v) for k, v in sv["early_error_cm"].items()}
    higher = early["shift removed"] > early["FF2"]
    assert higher.sum() > len(higher) / 2
    mean = {k: v.mean() for k, v in early.items()}
    assert mean["FF2"] < mean["shift removed"] < mean["FF1"]


def test_adding_the_shift_changes_first_learning_by_less_than_a_quarter(sv: dict) -> None:
    """A naive network given the shift learns FF1 in batches to criterion within a quarter of the time
    it takes without (ratio 0.92-1.15 over seeds 0-3: faster in some networks, slower in others)."""
    assert abs(sv["shift_added_ratio"] - 1) < 0.25


def test_holding_the_shift_axis_or_a_random_axis_leaves_learning_unchanged(sv: dict) -> None:
    """Holding FF1's shift axis, or a random axis, in the delay changes batches to criterion by less than a
    quarter."""
    assert abs(sv["axis_held_ratio"] - 1) < 0.25 and abs(sv["random_axis_held_ratio"] - 1) < 0.25


# --------------------------------------------------------------------------------------------------
# Interference and the two-state model


def test_ccw_after_cw_starts_from_the_cw_prediction(sv: dict) -> None:
    """After CW, CCW starts with a negative CCW index (the CW prediction). Whether it is then learned more
    slowly than from NF1 is not robust across seeds, and the chapter does not claim it (the ratio is only
    reported)."""
    assert sv["ccw_after_cw_start_index"] < 0
    after, alone = _arr(sv, "ccw_after_cw_batches_to_criterion"), _arr(sv, "ccw_alone_batches_to_criterion")
    assert sv["interference_ratio"] == pytest.approx(np.mean(after / alone))  # the ratio the text reports


def test_the_two_state_model_fits_better_than_one_state(sv: dict) -> None:
    """Two processes fit the index better than one (if only a little); the fast one learns and forgets more
    than the slow one, and per batch both learn more than people's per trial; the model's slow state is
    nearly washed out at the end of NF2 (below 0.1). (The slow share at the end of FF1 and the retention
    factors against people's are reported, not claimed: they differ widely between seeds.)"""
    assert sv["two_state_rms"] < sv["one_state_rms"]
    fit, people = sv["two_state_params"], sv["smith_2006_params"]
    assert fit["b_fast"] > fit["b_slow"] and fit["a_fast"] < fit["a_slow"]
    assert fit["b_fast"] > people["b_fast"] and fit["b_slow"] > people["b_slow"]
    assert 0 < sv["two_state_slow_share_ff1"] < 1
    assert sv["two_state_slow_end_nf2"] < 0.1
