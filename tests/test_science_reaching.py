"""The scientific claims of chapters 2 (null-field training) and 3 (adaptation to curl fields).

Each test asserts, from the metrics the executed chapter wrote (``_build/metrics/<stem>.json``), a
statement the chapter's text makes; if the statement were false for the book's networks, the test
fails. Thresholds are the ones the chapters state ("under half a centimetre", "R² >= 0.95", "at most
a quarter", "within 50 %"), never the values measured. Sign conventions: book/conventions.md (lateral deviation
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
HALF_CM = 0.5
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
def test_null_field_reaches_end_within_half_a_centimetre(nf: dict, p: str) -> None:
    """Both bodies reach the 8 test targets with a mean endpoint error under 0.5 cm."""
    assert 0.0 <= nf[p + "null_endpoint_error_cm"] < HALF_CM


def test_untrained_network_does_not_bring_the_hand_to_the_targets(nf: dict) -> None:
    """Before training, the hand is on average no closer to where it should be than the targets lie
    from their starts (first batch of the steps run by hand); the costs are a small share of the loss."""
    assert nf["demo_steps"] >= 1
    assert 0.0 < nf["demo_first_target_cm"] <= 12.0  # targets lie within 1.2 x the 10 cm reach
    assert nf["demo_first_distance_cm"] >= 0.5 * nf["demo_first_target_cm"]
    assert 0.0 <= nf["demo_cost_share"] < 0.5


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_training_lowers_loss_and_test_error(nf: dict, p: str) -> None:
    """Training loss (first vs last ten batches) and the test-set endpoint error both fall."""
    assert nf[p + "final_loss"] < nf[p + "initial_loss"]
    assert nf[p + "null_endpoint_error_cm"] < nf[p + "first_test_endpoint_error_cm"]


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_reaches_are_straight(nf: dict, p: str) -> None:
    """Both bodies: mean |largest lateral deviation| <= 0.4 cm, every path <= 0.8 cm (book/conventions.md)."""
    assert nf["natural_lateral_mean_cm"] == 0.4 and nf["natural_lateral_max_cm"] == 0.8
    assert nf[p + "null_abs_lateral_cm"] <= nf["natural_lateral_mean_cm"]
    assert nf[p + "null_abs_lateral_max_cm"] <= nf["natural_lateral_max_cm"]


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_speed_profiles_are_single_bells(nf: dict, p: str) -> None:
    """Every target's speed profile fits a minimum-jerk bell with R² >= 0.95 and has a single peak; the
    hand has stopped by the end (last 100 ms under a tenth of the peak speed)."""
    r2 = np.array(nf[p + "speed_bell_r2"])
    assert nf["natural_bell_r2"] == 0.95
    assert r2.shape == (8,) and r2.min() >= nf["natural_bell_r2"] and r2.max() <= 1.0
    assert nf[p + "speed_bell_targets"] == 8 and nf[p + "speed_single_peak_targets"] == 8
    assert nf[p + "speed_bell_r2_min"] == pytest.approx(r2.min())
    assert 0.0 <= nf[p + "speed_end_fraction_max"] < 0.10
    assert 0 < nf[p + "speed_peak_time_ms"] < nf[p + "movement_duration_ms"]


def test_arm_moves_at_a_persons_pace(nf: dict) -> None:
    """The arm's peak speeds (0.25-0.55 m/s) and movement times (0.35-0.7 s) lie in the human range of
    10 cm reaches; the minimum-jerk reference is 1.875 x 10 cm / 0.5 s."""
    assert nf["human_peak_speed_m_s"] == pytest.approx(1.875 * 0.10 / 0.5)
    assert (nf["human_peak_speed_lo_m_s"], nf["human_peak_speed_hi_m_s"]) == (0.25, 0.55)
    assert (nf["human_movement_time_lo_s"], nf["human_movement_time_hi_s"]) == (0.35, 0.7)
    assert nf["human_peak_speed_lo_m_s"] <= nf["peak_speed_min_m_s"] <= nf["peak_speed_max_m_s"] <= nf["human_peak_speed_hi_m_s"]
    assert (nf["human_movement_time_lo_s"] <= nf["movement_time_min_s"] <= nf["movement_time_max_s"]
            <= nf["human_movement_time_hi_s"])


def test_generalization_set_spans_seven_postures_and_the_book_network_reaches_from_all(nf: dict) -> None:
    """From every posture of the generalization set the book's arm network ends within 0.5 cm."""
    assert nf["gen_postures"] == len(nf["gen_starts_deg"]) == len(nf["gen_book_cm"]) >= 6
    assert max(nf["gen_book_cm"]) == pytest.approx(nf["gen_book_max_cm"]) < HALF_CM


def test_point_mass_reaches_from_every_start_of_its_generalization_set(nf: dict) -> None:
    """The point mass ends within 0.5 cm of its targets from every start of its generalization set."""
    assert nf["gen_pointmass_postures"] == len(nf["gen_pointmass_cm"]) >= 6
    assert max(nf["gen_pointmass_cm"]) == pytest.approx(nf["gen_pointmass_max_cm"]) < HALF_CM


def test_network_trained_at_one_posture_fails_at_the_others(nf: dict) -> None:
    """The poster-style network reaches its own posture's targets (< 1 cm) but misses from every other
    posture by more than 1 cm, and by more than 5 times the book network's worst error."""
    own = nf["gen_poster_cm"][nf["gen_test_index"]]
    others = [e for i, e in enumerate(nf["gen_poster_cm"]) if i != nf["gen_test_index"]]
    assert own == pytest.approx(nf["gen_poster_own_cm"]) < 1.0
    assert min(others) == pytest.approx(nf["gen_poster_other_min_cm"]) > 1.0
    assert min(others) > 5 * nf["gen_book_max_cm"]


def test_book_network_stays_natural_across_the_workspace(nf: dict) -> None:
    """From every posture of the generalization set, every speed profile is a bell with R² >= 0.9 and the
    mean sideways deviation is at most 1.5 cm."""
    assert min(nf["gen_book_bell_r2"]) == pytest.approx(nf["gen_book_bell_r2_min"]) >= 0.9
    assert max(nf["gen_book_lateral_cm"]) == pytest.approx(nf["gen_book_lateral_max_cm"]) <= 1.5


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
