"""The scientific claims of chapter 7 (generalization).

Each test asserts, from the metrics the executed chapter wrote (``_build/metrics/07_generalization.json``),
a statement the chapter's text makes. Thresholds are the ones the text states or implies ("within
half a centimetre", "narrow", "rises again"), never the values measured. Definitions:
book/conventions.md (channel force, adaptation index, generalization function).
"""

from __future__ import annotations

import numpy as np
import pytest

from motorkit import generalization as gz

pytestmark = pytest.mark.slow

HALF_CM = 0.5
#: The one-direction network trained with chapter 3's recipe.
CH3 = "Chapter 3's recipe"


@pytest.fixture(scope="module")
def ge(chapter_metrics) -> dict:
    return chapter_metrics("07_generalization")


def _side(ge: dict, angle: float) -> float:
    """The one-direction generalization function averaged over +angle and -angle."""
    d = np.abs(np.asarray(ge["direction_generalization_deg"]))
    return float(dict(zip(*gz.by_distance(d, ge["direction_generalization"])))[angle])


# --------------------------------------------------------------------------------------------------
# The null network away from its training


def test_accuracy_holds_over_the_training_region_and_degrades_slowly_outside(ge: dict) -> None:
    """Inside the region every posture ends within a centimetre; outside the error is larger, but more
    than a third of the postures still end within a centimetre."""
    error = np.asarray(ge["grid_endpoint_error_cm"])
    inside = np.asarray(ge["grid_inside_region"], dtype=bool)
    assert inside.sum() >= 20 and (~inside).sum() >= 10
    assert error[inside].max() < 1.0
    assert error[~inside].max() > error[inside].max()
    assert (error[~inside] > 1.0).mean() <= 2 / 3


def test_straightness_is_a_property_of_the_middle_of_the_workspace(ge: dict) -> None:
    """The paths curve most with the shoulder forward and the elbow bent: more than a centimetre there,
    inside the training region, more than twice as much as from the test posture."""
    postures = np.asarray(ge["grid_postures_deg"])
    lateral = np.asarray(ge["grid_abs_lateral_cm"])
    inside = np.asarray(ge["grid_inside_region"], dtype=bool)
    shoulder, elbow = postures[np.argmax(lateral)]
    assert shoulder >= 70 and elbow >= 100
    assert lateral[inside].max() > 1.0
    test_posture = np.flatnonzero((postures[:, 0] == 60) & (postures[:, 1] == 90))
    assert lateral[test_posture[0]] < 0.5 * lateral[inside].max()


def test_reach_length_generalizes_with_speed_in_proportion(ge: dict) -> None:
    """Every reach length ends within half a centimetre, also beyond the longest training reach; peak
    speed per metre of reach is nearly constant (a fixed movement time): within 40 %."""
    reach = np.asarray(ge["reach_cm"])
    assert reach.max() > ge["longest_trained_reach_cm"] and reach.min() <= 2.0
    assert max(ge["reach_endpoint_error_cm"]) < HALF_CM
    per_metre = np.asarray(ge["reach_peak_speed_m_s"]) / (reach / 100)
    assert per_metre.max() / per_metre.min() < 1.4


def test_a_go_cue_later_than_any_trained_and_a_long_episode_are_handled(ge: dict) -> None:
    """With the go cue later than any of training, the hand waits (it strays less than half a centimetre
    before the cue on average: 0.21-0.31 cm over seeds 0-2), starts 150-350 ms after the cue and ends within
    half a centimetre; over twice the trained episode it holds the target within a centimetre."""
    assert ge["late_go_s"] > ge["trained_delay_s"][1]
    assert np.mean(ge["late_go_travel_cm"]) < HALF_CM
    assert 150 <= np.mean(ge["late_go_reaction_ms"]) <= 350
    assert ge["late_go_endpoint_error_cm"] < HALF_CM
    assert max(ge["long_episode_hold_error_cm"]) < 1.0


# --------------------------------------------------------------------------------------------------
# Force channels


def test_channel_index_is_zero_naive_and_near_one_adapted(ge: dict) -> None:
    """The channel holds the hand within millimetres; the null-field network's index is near 0, the
    CW-adapted network's near 1."""
    assert ge["channel_max_lateral_cm"] < 0.2
    assert abs(ge["adaptation_index_naive"]) < 0.1
    assert ge["adaptation_index_cw"] >= 0.85


# --------------------------------------------------------------------------------------------------
# Directions


def test_chapter3_recipe_wrecks_unpractised_directions_the_gentle_one_does_not(ge: dict) -> None:
    """With chapter 3's recipe some unpractised direction presses with more than the whole field's force,
    more than any unpractised direction of the eight gentle networks; with the gentle recipe no
    unpractised direction exceeds 1.5. (Stated for networks in general: on other seeds the worst index
    ranges from 1.5 up. The after-effects are reported, not compared: which recipe's are larger differs
    from seed to seed.)"""
    dirs = np.arange(8) * 45.0
    indices = {k: np.asarray(v) for k, v in ge["direction_indices"].items()}
    practised = ge["direction_practised"]

    def worst(name: str) -> float:
        return float(np.abs(indices[name][dirs != practised[name][0]]).max())

    one = [f"{d:g}" for d in dirs]
    assert worst(CH3) > max(1.0, max(worst(n) for n in one))
    assert max(worst(n) for n in one) < 1.5
    catch = {k: np.asarray(v) for k, v in ge["direction_catch_abs_lateral_cm"].items()}
    assert catch[CH3].shape == (8,) and (catch[CH3] > 0).all()  # reported per direction


def test_gentle_recipe_adapts_the_practised_direction(ge: dict) -> None:
    """The eight one-direction networks reach a mean index of at least 0.8 on their practised direction."""
    dirs = np.arange(8) * 45.0
    practised = [ge["direction_indices"][f"{d:g}"][i] for i, d in enumerate(dirs)]
    assert np.mean(practised) >= 0.8


def test_generalization_function_is_narrow_and_bimodal(ge: dict) -> None:
    """Half-width under 60 deg; near zero at +-90 deg; and a second rise at 180 deg."""
    assert ge["direction_half_width_deg"] < 60.0
    assert abs(_side(ge, 90.0)) < 0.2
    assert _side(ge, 180.0) > _side(ge, 90.0) + 0.25
    assert 0.0 < _side(ge, 45.0) < 0.7


def test_four_directions_fill_the_diagonals(ge: dict) -> None:
    """With four practised directions the diagonals between them reach at least 0.75 of the practised index,
    more than one direction's neighbours at 45 deg."""
    idx = np.asarray(ge["direction_indices"]["4 directions"])
    dirs = np.arange(8) * 45.0
    practised = np.isin(dirs % 360, np.asarray(ge["direction_practised"]["4 directions"]) % 360)
    diagonal = idx[~practised].mean() / idx[practised].mean()
    assert diagonal >= 0.75 and diagonal > _side(ge, 45.0)


# --------------------------------------------------------------------------------------------------
# Workspace


def test_after_effects_at_b_are_closer_to_the_intrinsic_prediction(ge: dict) -> None:
    """Paths and channel forces at B lie closer to the intrinsic prediction than to the extrinsic one;
    only closer: the intrinsic prediction is still more than half as far as no after-effect at all."""
    assert ge["workspace_aftereffect_error_intrinsic_cm"] < ge["workspace_aftereffect_error_extrinsic_cm"]
    assert ge["workspace_force_error_intrinsic_n"] < ge["workspace_force_error_extrinsic_n"]
    assert ge["workspace_aftereffect_error_intrinsic_cm"] > 0.5 * ge["workspace_aftereffect_error_none_cm"]


# --------------------------------------------------------------------------------------------------
# Reach length and speed; field strength


def test_learned_force_extrapolates_to_faster_reaches(ge: dict) -> None:
    """Every length keeps an index of at least 0.7, the longest too, at more than 1.3 times the practised
    peak speed; beyond the practised length the index falls with every step in length. (Shorter reaches
    vary from network to network, and are not claimed.)"""
    reach = list(np.asarray(ge["amplitude_reach_cm"]))
    index = np.asarray(ge["amplitude_generalization"])
    speed = np.asarray(ge["amplitude_peak_speed_m_s"])
    practised = reach.index(10.0)
    assert np.all(index >= 0.7)
    assert speed[-1] > 1.3 * speed[practised] and index[-1] >= 0.7
    assert np.all(np.diff(index[practised:]) < 0)


def test_one_learned_force_over_and_under_compensates(ge: dict) -> None:
    """The same channel force is more than 1.5 times what k = 4 needs and under 0.7 of what k = 15 needs;
    in the weaker field the paths bend the other way (positive), in the stronger ones still the field's
    way (negative) but by less than half the null network's deviation."""
    k = list(ge["strength_k"])
    index = dict(zip(k, ge["strength_generalization"]))
    assert index[4.0] > 1.5 and index[15.0] < 0.7
    adapted = dict(zip(k, ge["strength_lateral_cm"]["adapted at 8 N·s/m"]))
    null = dict(zip(k, ge["strength_lateral_cm"]["null-field network"]))
    assert adapted[4.0] > 0 and adapted[12.0] < 0 and adapted[15.0] < 0
    assert abs(adapted[15.0]) < 0.5 * abs(null[15.0])
