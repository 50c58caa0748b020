"""The scientific claims of chapter 3 (adaptation to curl fields).

Each test asserts, from the metrics the executed chapter wrote (``_build/metrics/<stem>.json``), a
statement the chapter's text makes; if the statement were false for the book's networks, the test
fails. Thresholds are the ones the chapters state ("under half a centimetre", "at most a quarter",
"between half and twice", "at least three times"), never the values measured. Sign conventions:
book/conventions.md (lateral deviation positive to the left of the movement, so CW first exposure < 0).
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
#: "A few hundred" practice trials, the number people need (chapter 3).
FEW_HUNDRED = 300
#: The book's human range of peak speeds for 10 cm reaches (book/conventions.md, motorkit.metrics).
HUMAN_PEAK_SPEED_M_S = (0.25, 0.55)


@pytest.fixture(scope="module")
def ad(chapter_metrics) -> dict:
    return chapter_metrics("03_adaptation")


# --------------------------------------------------------------------------------------------------
# Chapter 3: adaptation to curl fields


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("field", FIELDS)
def test_first_exposure_hooks_in_the_fields_direction(ad: dict, p: str, field: str) -> None:
    """CW first exposure deviates to the right (negative), CCW to the left (positive); so does the angle."""
    assert SIGN[field] * ad[f"{p}{field}_first_exposure_lateral_cm"] > 0
    assert SIGN[field] * ad[f"{p}{field}_first_exposure_angle_deg"] > 0


@pytest.mark.parametrize("field", FIELDS)
def test_arm_first_exposure_hooks_end_on_the_target(ad: dict, field: str) -> None:
    """Arm, first exposure: the hooks are visible (mean largest |lateral| >= 1 cm) and feedback brings the
    hand back, to about a centimetre of the target at most at the end of the trial (0.45-1.02 cm over
    seeds 0-3; claimed: under 1.25 cm, and under a third of the hook), under half a centimetre in the
    null field."""
    assert ad[f"{field}_first_exposure_abs_lateral_cm"] >= 1.0
    assert ad[f"{field}_first_exposure_endpoint_error_cm"] < 1.25
    assert ad[f"{field}_first_exposure_endpoint_error_cm"] < ad[f"{field}_first_exposure_abs_lateral_cm"] / 3
    assert ad[f"{field}_baseline_endpoint_error_cm"] < HALF_CM


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("field", FIELDS)
def test_catch_trial_loops_end_farther_from_the_target_than_the_first_hooks(ad: dict, p: str, field: str) -> None:
    """Unlike people's, the after-effects do not end on the target: over the last 100 ms the hand is
    farther from it than at the end of the first exposure (issue 24 asked for 1 cm; chapter 3 says so)."""
    assert ad[f"{p}{field}_aftereffect_endpoint_error_cm"] > ad[f"{p}{field}_first_exposure_endpoint_error_cm"]


@pytest.mark.parametrize("field", FIELDS)
def test_arm_adaptation_shrinks_deviation_to_under_half(ad: dict, field: str) -> None:
    """Arm: after learning, |lateral| and |angle| are less than half the first exposure's; per target,
    the unsigned deviation is less than half the first exposure's too, but more than the null-field paths'."""
    first = ad[f"{field}_first_exposure_lateral_cm"]
    assert ad["adapted_bound"] == HALF
    assert abs(ad[f"{field}_adapted_lateral_cm"]) < HALF * abs(first)
    assert ad[f"{field}_adapted_fraction"] == pytest.approx(abs(ad[f"{field}_adapted_lateral_cm"] / first))
    assert abs(ad[f"{field}_adapted_angle_deg"]) < HALF * abs(ad[f"{field}_first_exposure_angle_deg"])
    assert ad[f"{field}_adapted_abs_lateral_cm"] < HALF * ad[f"{field}_first_exposure_abs_lateral_cm"]
    assert ad[f"{field}_adapted_abs_lateral_cm"] > ad[f"{field}_baseline_abs_lateral_cm"]


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
    """The arm's learning curve stays within half of the first exposure from some batch on, reached within
    a few hundred (at most 300) practice trials, as people need."""
    batches, lateral = ad[f"{field}_learning_curve"]
    assert batches[0] == 0 and lateral[0] == pytest.approx(ad[f"{field}_first_exposure_lateral_cm"])
    settle = ad[f"{field}_settle_batch"]
    assert settle is not None and 0 < settle < batches[-1]
    after = [abs(v) for b, v in zip(batches, lateral) if b >= settle]
    assert max(after) <= HALF * abs(lateral[0])
    assert ad["settle_trials_bound"] == FEW_HUNDRED
    assert settle * ad["batch_size"] <= FEW_HUNDRED


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("field", FIELDS)
def test_aftereffects_oppose_first_exposure(ad: dict, p: str, field: str) -> None:
    """Catch trials deviate opposite to the first exposure, by half to twice its size; angles reverse."""
    first = ad[f"{p}{field}_first_exposure_lateral_cm"]
    after = ad[f"{p}{field}_aftereffect_lateral_cm"]
    assert np.sign(after) == -np.sign(first) != 0
    assert 0.5 <= -after / first <= 2.0
    assert ad[f"{p}{field}_aftereffect_ratio"] == pytest.approx(-after / first)
    assert -SIGN[field] * ad[f"{p}{field}_aftereffect_angle_deg"] > 0


@pytest.mark.parametrize("field", FIELDS)
def test_point_mass_aftereffects_exceed_first_exposure(ad: dict, field: str) -> None:
    """The point mass's after-effects are larger than its first exposure, in both fields."""
    assert ad[f"pointmass_{field}_aftereffect_ratio"] > 1.0


@pytest.mark.parametrize("field", FIELDS)
def test_arm_single_targets_spread_more_than_the_point_mass(ad: dict, field: str) -> None:
    """First exposure: the arm's angles at peak velocity spread (s.d. over targets) at least three times as
    much as the point mass's; the null-field reaches of both bodies all start within 15 degrees of the target
    (the arm's worst 7.7-12.4 degrees over seeds 0-3)."""
    assert ad[f"{field}_first_exposure_angle_sd_deg"] >= 3 * ad[f"pointmass_{field}_first_exposure_angle_sd_deg"]
    for p in BODIES.values():
        assert ad[f"{p}{field}_baseline_max_abs_angle_deg"] <= 15.0


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_cw_and_ccw_first_exposures_mirror_each_other(ad: dict, p: str) -> None:
    """On first exposure, |CW + CCW| <= 1/4 of the mean |.| of the two (mirror images)."""
    cw, ccw = (ad[f"{p}{f}_first_exposure_lateral_cm"] for f in FIELDS)
    assert ad["mirror_tolerance"] == QUARTER
    assert abs(cw + ccw) <= QUARTER * 0.5 * (abs(cw) + abs(ccw))


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_cw_and_ccw_aftereffects_mirror_each_other(ad: dict, p: str) -> None:
    """On catch trials the CW and CCW after-effects are mirror images too: opposite, |CW + CCW| <= 1/4 of
    the mean |.| of the two."""
    cw, ccw = (ad[f"{p}{f}_aftereffect_lateral_cm"] for f in FIELDS)
    assert np.sign(cw) == -np.sign(ccw) != 0
    assert ad[f"{p}aftereffect_size_ratio"] == pytest.approx(min(abs(cw), abs(ccw)) / max(abs(cw), abs(ccw)))
    assert abs(cw + ccw) <= QUARTER * 0.5 * (abs(cw) + abs(ccw))


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("field", FIELDS)
def test_adaptation_loss_decreases(ad: dict, p: str, field: str) -> None:
    """Training loss in each field: last ten batches below the first ten."""
    assert 0 < ad[f"{p}{field}_final_loss"] < ad[f"{p}{field}_initial_loss"]


@pytest.mark.parametrize("field", FIELDS)
def test_arm_first_exposure_exceeds_the_human_range(ad: dict, field: str) -> None:
    """Per target, the arm's first-exposure deviation exceeds the human 1.5-3 cm, although its hand peaks
    at a human speed (0.25-0.55 m/s), so the field pushes no harder than it would at a person's peak speed."""
    low, high = ad["human_max_perpendicular_error_cm"]
    assert (low, high) == (1.5, 3.0)
    human_speed = ad["human_peak_speed_m_s"]
    assert human_speed == pytest.approx(1.875 * 0.10 / 0.5)
    assert tuple(ad["human_peak_speed_range_m_s"]) == HUMAN_PEAK_SPEED_M_S
    assert ad[f"{field}_first_exposure_abs_lateral_cm"] > high
    slow, fast = HUMAN_PEAK_SPEED_M_S
    assert slow <= ad[f"{field}_first_exposure_peak_speed_m_s"] <= fast
    assert ad[f"{field}_first_exposure_peak_force_N"] <= ad["strength_N_s_per_m"] * human_speed


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
