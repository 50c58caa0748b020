"""The scientific claims of chapters 2 (null-field training) and 3 (adaptation to curl fields).

Each test asserts, from the metrics the executed chapter wrote (``_build/metrics/<stem>.json``), a
statement the chapter's text makes; if the statement were false for the book's networks, the test
fails. Thresholds are the ones the chapters state ("under a centimetre", "R² >= 0.85", "at most a
quarter", "within 50 %"), never the values measured. Sign conventions: book/conventions.md (lateral deviation
positive to the left of the movement, so CW first exposure < 0).
"""

from __future__ import annotations

import numpy as np
import pytest


pytestmark = pytest.mark.slow

#: Keys of the two bodies in the metrics files: the arm unprefixed, the point mass prefixed.
BODIES = {"arm": "", "pointmass": "pointmass_"}
FIELDS = ("cw", "ccw")
#: Sign of the first-exposure lateral deviation in each field.
SIGN = {"cw": -1.0, "ccw": 1.0}
#: The chapters' tolerances.
BELL_R2 = 0.85
QUARTER = 0.25
HALF = 0.5


@pytest.fixture(scope="module")
def nf(chapter_metrics) -> dict:
    return chapter_metrics("02_null_field")


@pytest.fixture(scope="module")
def ad(chapter_metrics) -> dict:
    return chapter_metrics("03_adaptation")


# --------------------------------------------------------------------------------------------------
# Chapter 2: null-field training


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_null_field_reaches_end_within_a_centimetre(nf: dict, p: str) -> None:
    """Both bodies reach the 8 test targets with a mean endpoint error well under 1 cm."""
    assert 0.0 <= nf[p + "null_endpoint_error_cm"] < 1.0


def test_untrained_network_does_not_bring_the_hand_to_the_targets(nf: dict) -> None:
    """Before training, the hand is on average no closer to its target than the target's distance from
    the start (first batch of the steps run by hand); the effort term adds under 1 % to the loss."""
    assert nf["demo_steps"] >= 1
    assert 0.0 < nf["demo_first_target_cm"] <= 10.0  # targets lie within the 10 cm disc
    assert nf["demo_first_distance_cm"] >= nf["demo_first_target_cm"]
    assert 0.0 <= nf["demo_effort_share"] < 0.01


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_training_lowers_loss_and_test_error(nf: dict, p: str) -> None:
    """Training loss (first vs last ten batches) and the test-set endpoint error both fall."""
    assert nf[p + "final_loss"] < nf[p + "initial_loss"]
    assert nf[p + "null_endpoint_error_cm"] < nf[p + "first_test_endpoint_error_cm"]


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_speed_profiles_are_bell_shaped(nf: dict, p: str) -> None:
    """Most targets' speed profiles (more than half) fit a minimum-jerk bell with R² >= 0.85; the hand
    all but stops.

    "All but stopped": over the last 100 ms the hand moves on average at under a tenth of its peak speed.
    """
    r2 = np.array(nf[p + "speed_bell_r2"])
    assert r2.shape == (8,)
    assert nf[p + "speed_bell_targets"] == (r2 >= BELL_R2).sum() > 4, r2
    assert r2.max() <= 1.0
    assert nf[p + "speed_bell_r2_min"] == pytest.approx(r2.min())
    assert 0.0 <= nf[p + "speed_end_fraction_mean"] < 0.10
    assert nf[p + "speed_end_fraction_mean"] <= nf[p + "speed_end_fraction_max"]
    assert 0 < nf[p + "speed_peak_time_ms"] < nf[p + "movement_duration_ms"]
    assert 1 <= nf[p + "speed_single_peak_targets"] <= 8


def test_arm_paths_curve_more_than_the_point_mass(nf: dict) -> None:
    """Relative to its reach, the arm's paths curve more than the point mass's, whose paths are almost
    straight (mean deviation under a tenth of the reach)."""
    key = "null_abs_lateral_fraction_of_reach"
    assert nf[key] > nf["pointmass_" + key] > 0.0
    assert nf["pointmass_" + key] < 0.1


def test_arm_moves_faster_than_a_person(nf: dict) -> None:
    """The arm's peak hand speed exceeds the minimum-jerk peak of a 10 cm reach in 500 ms."""
    assert nf["human_peak_speed_m_s"] == pytest.approx(1.875 * 0.10 / 0.5)
    assert nf["peak_speed_m_s"] > nf["human_peak_speed_m_s"]


def test_shoulder_muscles_burst_in_turn(nf: dict) -> None:
    """In every direction the pectoralis and deltoid peak one after the other, at least 50 ms apart,
    and the order depends on the direction (each leads for some targets)."""
    lags = np.array(nf["shoulder_burst_lag_ms"])
    assert lags.shape == (8,)
    assert lags.min() >= 50.0
    assert set(nf["shoulder_first_burst"]) == {"pectoralis", "deltoid"}


# --------------------------------------------------------------------------------------------------
# Chapter 3: adaptation to curl fields


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("field", FIELDS)
def test_first_exposure_hooks_in_the_fields_direction(ad: dict, p: str, field: str) -> None:
    """CW first exposure deviates to the right (negative), CCW to the left (positive); so does the angle."""
    assert SIGN[field] * ad[f"{p}{field}_first_exposure_lateral_cm"] > 0
    assert SIGN[field] * ad[f"{p}{field}_first_exposure_angle_deg"] > 0


@pytest.mark.parametrize("field", FIELDS)
def test_arm_adaptation_shrinks_deviation_to_under_half(ad: dict, field: str) -> None:
    """Arm: after learning, |lateral| and |angle| are less than half the first exposure's; per target,
    the unsigned deviation is less than half the first exposure's too."""
    first = ad[f"{field}_first_exposure_lateral_cm"]
    assert ad["adapted_bound"] == HALF
    assert abs(ad[f"{field}_adapted_lateral_cm"]) < HALF * abs(first)
    assert ad[f"{field}_adapted_fraction"] == pytest.approx(abs(ad[f"{field}_adapted_lateral_cm"] / first))
    assert abs(ad[f"{field}_adapted_angle_deg"]) < HALF * abs(ad[f"{field}_first_exposure_angle_deg"])
    assert ad[f"{field}_adapted_abs_lateral_cm"] < HALF * ad[f"{field}_first_exposure_abs_lateral_cm"]


@pytest.mark.parametrize("field", FIELDS)
def test_point_mass_adapts_to_under_half(ad: dict, field: str) -> None:
    """Point mass: the mean deviation left is under half the first exposure, but per target the paths
    still bend more than its null-field paths."""
    p = "pointmass_"
    assert abs(ad[f"{p}{field}_adapted_lateral_cm"]) < 0.5 * abs(ad[f"{p}{field}_first_exposure_lateral_cm"])
    assert ad[f"{p}{field}_adapted_abs_lateral_cm"] > ad[f"{p}{field}_baseline_abs_lateral_cm"]
    assert abs(ad[f"{p}{field}_adapted_angle_deg"]) < abs(ad[f"{p}{field}_first_exposure_angle_deg"])


@pytest.mark.parametrize("field", FIELDS)
def test_arm_learning_curve_settles_within_half(ad: dict, field: str) -> None:
    """The arm's learning curve stays within half of the first exposure from some batch on."""
    batches, lateral = ad[f"{field}_learning_curve"]
    assert batches[0] == 0 and lateral[0] == pytest.approx(ad[f"{field}_first_exposure_lateral_cm"])
    settle = ad[f"{field}_settle_batch"]
    assert settle is not None and 0 < settle < batches[-1]
    after = [abs(v) for b, v in zip(batches, lateral) if b >= settle]
    assert max(after) <= HALF * abs(lateral[0])


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("field", FIELDS)
def test_aftereffects_oppose_and_mirror_first_exposure(ad: dict, p: str, field: str) -> None:
    """Catch trials deviate opposite to the first exposure, by 0.5-1.5 times its size; angles reverse."""
    first = ad[f"{p}{field}_first_exposure_lateral_cm"]
    after = ad[f"{p}{field}_aftereffect_lateral_cm"]
    assert np.sign(after) == -np.sign(first) != 0
    assert 0.5 <= -after / first <= 1.5
    assert ad[f"{p}{field}_aftereffect_ratio"] == pytest.approx(-after / first)
    assert -SIGN[field] * ad[f"{p}{field}_aftereffect_angle_deg"] > 0


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_cw_and_ccw_first_exposures_mirror_each_other(ad: dict, p: str) -> None:
    """On first exposure, |CW + CCW| <= 1/4 of the mean |.| of the two (mirror images)."""
    cw, ccw = (ad[f"{p}{f}_first_exposure_lateral_cm"] for f in FIELDS)
    assert ad["mirror_tolerance"] == QUARTER
    assert abs(cw + ccw) <= QUARTER * 0.5 * (abs(cw) + abs(ccw))


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_cw_and_ccw_aftereffects_are_opposite_and_of_similar_size(ad: dict, p: str) -> None:
    """On catch trials the CW and CCW after-effects have opposite signs; the smaller is at least half the larger."""
    cw, ccw = (ad[f"{p}{f}_aftereffect_lateral_cm"] for f in FIELDS)
    assert np.sign(cw) == -np.sign(ccw) != 0
    assert ad[f"{p}aftereffect_size_ratio"] == pytest.approx(min(abs(cw), abs(ccw)) / max(abs(cw), abs(ccw)))
    assert ad[f"{p}aftereffect_size_ratio"] >= 0.5


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("field", FIELDS)
def test_adaptation_loss_decreases(ad: dict, p: str, field: str) -> None:
    """Training loss in each field: last ten batches below the first ten."""
    assert 0 < ad[f"{p}{field}_final_loss"] < ad[f"{p}{field}_initial_loss"]


@pytest.mark.parametrize("field", FIELDS)
def test_arm_first_exposure_exceeds_the_human_range(ad: dict, field: str) -> None:
    """Per target, the arm's first-exposure deviation exceeds the human 1.5-3 cm; its hand peaks faster
    than a person's, so the field pushes harder than it would at a person's peak speed."""
    low, high = ad["human_max_perpendicular_error_cm"]
    assert (low, high) == (1.5, 3.0)
    human_speed = ad["human_peak_speed_m_s"]
    assert human_speed == pytest.approx(1.875 * 0.10 / 0.5)
    assert ad[f"{field}_first_exposure_abs_lateral_cm"] > high
    assert ad[f"{field}_first_exposure_peak_speed_m_s"] > human_speed
    assert ad[f"{field}_first_exposure_peak_force_N"] > ad["strength_N_s_per_m"] * human_speed


@pytest.mark.parametrize("field", FIELDS)
def test_strength_sweep(ad: dict, field: str) -> None:
    """Arm, fields of 0-16 N·s/m: the first-exposure error grows with k up to 12; the adapted network over-
    compensates below the learned k (most at k = 0), crosses zero within 2 N·s/m of it, comes closest
    to straight there, and deviates less than the null network from it up to 12 N·s/m."""
    k = np.array(ad["strengths"])
    learned = ad["strength_N_s_per_m"]
    null = np.array(ad[f"{field}_null_lateral_by_strength_cm"])
    adapted = np.array(ad[f"{field}_adapted_lateral_by_strength_cm"])
    assert k[0] == 0 and learned in k
    upto = k <= 12.0
    assert (np.diff(np.abs(null[upto])) > 0).all(), "first-exposure error should grow with k up to 12"
    below = k < learned
    assert (np.sign(adapted[below]) == -SIGN[field]).all()
    assert np.abs(adapted[below]).argmax() == 0
    assert abs(ad[f"{field}_adapted_zero_crossing_N_s_per_m"] - learned) <= 2.0
    assert abs(k[np.abs(adapted).argmin()] - learned) <= 2.0
    at_or_above = (k >= learned) & upto
    assert (np.abs(adapted[at_or_above]) < np.abs(null[at_or_above])).all()
    assert (np.sign(adapted[k > learned]) == SIGN[field]).all(), "under-compensates above the learned k"
    assert adapted[0] == pytest.approx(ad[f"{field}_aftereffect_lateral_cm"], abs=1e-4)
