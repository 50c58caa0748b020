"""The scientific claims of chapter 2 (null-field training: natural, generalizing reaches).

Each test asserts, from the metrics the executed chapter wrote (``_build/metrics/<stem>.json``), a
statement the chapter's text makes; if the statement were false for the book's networks, the test
fails. Thresholds are the ones the chapter states ("under half a centimetre", "R² >= 0.95", the
human ranges of book/conventions.md, "more than twice"), never the values measured.
"""

from __future__ import annotations

import numpy as np
import pytest


pytestmark = pytest.mark.slow

#: Keys of the two bodies in the metrics files: the arm unprefixed, the point mass prefixed.
BODIES = {"arm": "", "pointmass": "pointmass_"}
#: The chapter's tolerance on endpoint errors.
HALF_CM = 0.5


@pytest.fixture(scope="module")
def nf(chapter_metrics) -> dict:
    return chapter_metrics("02_null_field")


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_null_field_reaches_end_close_to_the_targets(nf: dict, p: str) -> None:
    """Both bodies reach the 8 test targets with a small mean endpoint error: under 0.5 cm on the arm's
    10 cm reaches, under 1 cm on the point mass's 40 cm reaches (0.30-0.65 cm over seeds 0-3)."""
    assert 0.0 <= nf[p + "null_endpoint_error_cm"] < (HALF_CM if p == "" else 1.0)


def test_untrained_network_does_not_bring_the_hand_to_the_targets(nf: dict) -> None:
    """Before training, the hand is on average no closer to where it should be than the targets lie
    from their starts (first batch of the steps run by hand); the costs, most of them jerk, are a large
    share of the loss."""
    assert nf["demo_steps"] >= 1
    assert 0.0 < nf["demo_first_target_cm"] <= 12.0  # targets lie within 1.2 x the 10 cm reach
    assert nf["demo_first_distance_cm"] >= 0.5 * nf["demo_first_target_cm"]
    assert 0.3 < nf["demo_cost_share"] < 1.0
    assert nf["demo_jerk_share"] > 0.5


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_training_lowers_loss_and_test_error(nf: dict, p: str) -> None:
    """Training loss (first vs last ten batches) and the test-set endpoint error both fall."""
    assert nf[p + "final_loss"] < nf[p + "initial_loss"]
    assert nf[p + "null_endpoint_error_cm"] < nf[p + "first_test_endpoint_error_cm"]


def test_reaches_are_nearly_straight_and_the_plain_task_straighter(nf: dict) -> None:
    """The recipe's paths are close to the book's straightness criterion (mean |lateral| <= 0.4 cm, every
    path <= 0.8 cm; book/conventions.md), not well inside it: the arm's mean is 0.3-0.6 cm, the point
    mass's under 1 cm on its 40 cm reaches (0.58-0.92 cm over seeds 0-3); the arm trained on the plain task (no noise or pushes) is
    straighter and meets it."""
    assert nf["natural_lateral_mean_cm"] == 0.4 and nf["natural_lateral_max_cm"] == 0.8
    assert 0.3 < nf["null_abs_lateral_cm"] < 0.6 and nf["pointmass_null_abs_lateral_cm"] < 1.0
    plain = {k: nf[f"ablation_smoothness_{k}"] for k in ("lateral_mean_cm", "lateral_max_cm")}
    assert plain["lateral_mean_cm"] <= nf["natural_lateral_mean_cm"]
    assert plain["lateral_max_cm"] <= nf["natural_lateral_max_cm"]
    assert plain["lateral_mean_cm"] < nf["null_abs_lateral_cm"]


@pytest.mark.parametrize("p", BODIES.values(), ids=BODIES.keys())
def test_speed_profiles_are_single_bells(nf: dict, p: str) -> None:
    """Nearly every target's speed profile fits a minimum-jerk bell with R² >= 0.95 (all but at most one,
    and that one >= 0.93) and every one has a single peak; the hand has stopped by the end (last 100 ms
    under a tenth of the peak speed); the speed peaks after movement onset, within the movement time."""
    r2 = np.array(nf[p + "speed_bell_r2"])
    assert nf["natural_bell_r2"] == 0.95
    assert r2.shape == (8,) and r2.min() >= 0.93 and r2.max() <= 1.0
    assert nf[p + "speed_bell_targets"] == (r2 >= nf["natural_bell_r2"]).sum() >= 7
    assert nf[p + "speed_single_peak_targets"] == 8
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
    """From every posture of the generalization set the book's arm network ends within 0.6 cm (its worst
    posture 0.45-0.53 cm over seeds 0-3)."""
    assert nf["gen_postures"] == len(nf["gen_starts_deg"]) == len(nf["gen_book_cm"]) >= 6
    assert max(nf["gen_book_cm"]) == pytest.approx(nf["gen_book_max_cm"])
    assert nf["gen_book_max_cm"] < 0.6


def test_point_mass_reaches_from_every_start_of_its_generalization_set(nf: dict) -> None:
    """The point mass ends within 1 cm of its 40 cm targets from every start of its generalization set
    (its worst start 0.35-0.71 cm over seeds 0-3)."""
    assert nf["gen_pointmass_postures"] == len(nf["gen_pointmass_cm"]) >= 6
    assert max(nf["gen_pointmass_cm"]) == pytest.approx(nf["gen_pointmass_max_cm"])
    assert nf["gen_pointmass_max_cm"] < 1.0


def test_network_trained_at_one_posture_fails_at_the_others(nf: dict) -> None:
    """The poster-style network reaches its own posture's targets (< 1 cm); from the other postures it
    misses by more than 5 times the book network's worst error on average, and by over 2 cm at worst."""
    own = nf["gen_poster_cm"][nf["gen_test_index"]]
    others = [e for i, e in enumerate(nf["gen_poster_cm"]) if i != nf["gen_test_index"]]
    assert own == pytest.approx(nf["gen_poster_own_cm"])
    assert nf["gen_poster_own_cm"] < 1.0
    assert min(others) == pytest.approx(nf["gen_poster_other_min_cm"])
    assert np.mean(others) == pytest.approx(nf["gen_poster_other_mean_cm"])
    assert nf["gen_poster_other_mean_cm"] > 5 * nf["gen_book_max_cm"]
    assert max(others) == pytest.approx(nf["gen_poster_other_max_cm"])
    assert nf["gen_poster_other_max_cm"] > 2.0


def test_book_network_stays_natural_across_the_workspace(nf: dict) -> None:
    """From every posture of the generalization set, every speed profile is a bell with R² >= 0.85 (0.87-0.95
    over seeds 0-3), at three or more of the seven postures every profile meets the book's criterion
    (3-6 over seeds 0-3), and the mean sideways deviation is at most 2 cm per posture (1.0-1.6 cm over
    seeds 0-2), the largest at the posture quoted."""
    assert min(nf["gen_book_bell_r2"]) == pytest.approx(nf["gen_book_bell_r2_min"])
    assert nf["gen_book_bell_r2_min"] >= 0.85
    assert nf["gen_book_bell_postures"] == sum(r >= nf["natural_bell_r2"] for r in nf["gen_book_bell_r2"])
    assert nf["gen_book_bell_postures"] >= 3
    assert max(nf["gen_book_lateral_cm"]) == pytest.approx(nf["gen_book_lateral_max_cm"])
    assert nf["gen_book_lateral_max_cm"] <= 2.0
    worst = nf["gen_starts_deg"][int(np.argmax(nf["gen_book_lateral_cm"]))]
    assert worst == [nf["gen_book_lateral_worst_shoulder_deg"], nf["gen_book_lateral_worst_elbow_deg"]]


def test_shoulder_muscles_burst_in_turn(nf: dict) -> None:
    """In every direction the pectoralis and deltoid peak one after the other, at least 30 ms apart,
    and the order depends on the direction (each leads for some targets)."""
    lags = np.array(nf["shoulder_burst_lag_ms"])
    assert lags.shape == (8,)
    assert lags.min() >= 30.0
    assert set(nf["shoulder_first_burst"]) == {"pectoralis", "deltoid"}


@pytest.fixture(scope="module")
def ablation(nf: dict) -> dict:
    """Figure 2.6's numbers, by variant: poster, position, effort, smoothness (the recipe)."""
    names = nf["ablation_variants"]
    assert names == ["poster", "position", "effort", "smoothness"]
    return {n: {k[len(f"ablation_{n}_"):]: v for k, v in nf.items() if k.startswith(f"ablation_{n}_")}
            for n in names}


def test_posters_recipe_is_fast_curved_and_jerky(ablation: dict, nf: dict) -> None:
    """The poster's recipe: peaks above the human range (> 0.55 m/s), paths not straight (mean > 0.4 cm),
    more than 5 times the recipe's jerk."""
    poster, recipe = ablation["poster"], ablation["smoothness"]
    assert poster["peak_speed_max_m_s"] > nf["human_peak_speed_hi_m_s"]
    assert poster["lateral_mean_cm"] > nf["natural_lateral_mean_cm"]
    assert poster["jerk_cost"] > 5 * recipe["jerk_cost"]


def test_waiting_for_the_movement_time_slows_the_reach_into_single_bells(ablation: dict, nf: dict) -> None:
    """With the distance counted after the movement time, the distance alone gives slower reaches than
    the poster's recipe, with single-peaked bells (one peak, R² >= 0.9: not always the 0.95 of the
    book's criterion)."""
    position = ablation["position"]
    assert position["peak_speed_max_m_s"] < ablation["poster"]["peak_speed_max_m_s"]
    assert position["peaks_max"] == 1 and position["bell_r2_min"] >= 0.9


def test_only_the_smoothness_cost_straightens_the_paths(ablation: dict) -> None:
    """Position only and + effort leave the paths curved (mean |lateral| more than twice the recipe's);
    the smoothness cost more than halves the deviation, cuts the jerk by more than 3 times, and slows
    every reach below the slowest peak with effort alone."""
    recipe, effort = ablation["smoothness"], ablation["effort"]
    assert ablation["position"]["lateral_mean_cm"] > 2 * recipe["lateral_mean_cm"]
    assert effort["lateral_mean_cm"] > 2 * recipe["lateral_mean_cm"]
    assert recipe["jerk_cost"] * 3 < effort["jerk_cost"]
    assert recipe["peak_speed_max_m_s"] < effort["peak_speed_min_m_s"]
    assert recipe["endpoint_error_cm"] < HALF_CM and effort["endpoint_error_cm"] < HALF_CM


def test_the_arm_waits_for_the_cue_and_holds_without_one(nf: dict) -> None:
    """Before the cue the hand strays less than 0.3 cm on average; on no-go trials it stays within 0.5 cm
    to the end (mean over the eight targets), the largest drift being the one the text quotes."""
    assert 0.0 <= nf["pre_cue_drift_cm"] < 0.3
    assert 0.0 <= nf["no_go_drift_cm"] < HALF_CM
    assert nf["no_go_drift_cm"] <= nf["no_go_drift_max_cm"]


def test_reaction_times_are_in_the_human_range_and_mostly_the_cues_delay(nf: dict) -> None:
    """The mean reaction time (cue to 10 % of peak speed) lies in 150-350 ms (people: 200-300 ms), and
    more than half of it is the vision delay with which the network sees the cue."""
    assert 150.0 <= nf["rt_min_ms"] <= nf["rt_ms"] <= nf["rt_max_ms"] <= 350.0
    assert nf["vision_delay_ms"] > nf["rt_ms"] / 2
    assert nf["seen_ms"] == pytest.approx(nf["cue_ms"] + nf["vision_delay_ms"])


def test_noise_scatters_the_endpoints_by_less_than_a_centimetre(nf: dict) -> None:
    """Repeats of one reach, which differ only in their noise, end apart (scatter above zero) and within
    1 cm of their mean endpoint, for every target."""
    assert 0.0 < nf["scatter_cm"] <= nf["scatter_max_cm"] <= 1.0


def test_pushes_in_training_make_the_arm_correct_a_curl_field(nf: dict) -> None:
    """In the null field the arm trained without pushes reaches as well (within half a centimetre), but
    on first exposure to the CW curl field it ends further from the targets than the recipe's arm,
    which ends about a centimetre away at most (0.61-1.02 cm over seeds 0-3; claimed: under 1.25 cm)."""
    assert nf["parts_no_pushes_end_cm"] < HALF_CM and nf["parts_recipe_end_cm"] < HALF_CM
    assert nf["parts_recipe_cw_end_cm"] < 1.25
    assert nf["parts_no_pushes_cw_end_cm"] > nf["parts_recipe_cw_end_cm"]


def test_noise_is_not_what_corrects(nf: dict) -> None:
    """The arm trained without noise also ends within 1 cm in the curl field and holds within 0.6 cm on
    no-go trials (0.26-0.50 cm over seeds 0-3)."""
    assert nf["parts_no_noise_cw_end_cm"] <= 1.0
    assert nf["parts_no_noise_no_go_cm"] < 0.6
