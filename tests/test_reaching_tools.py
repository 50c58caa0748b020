"""The motorkit helpers of the reaching chapters (2 and 3): speed-profile measures, batched field
sweeps, loading cached recipes without worker processes, the two-control precomputed widget, and
the reaching and adaptation figures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")  # tests only; notebooks keep the inline backend
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from motorkit import adaptation, modelcache, plots, recipes, training
from motorkit import metrics as mm
from motorkit.publish import widgets as mkw
from motorkit.fields import FieldBatch, ForceField
from motorkit.rollouts import Rollout
from motorkit.traininglog import TrainingLog

TINY = training.TrainConfig(effector="pointmass", batch_size=8, batches=2, duration=0.2, eval_every=2,
                            compile=False)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------------------------------
# Speed profiles


def _velocity(speed: np.ndarray) -> np.ndarray:
    """(1, T, 2) velocities with the given speed along a diagonal."""
    return (speed[:, None] * np.array([0.6, 0.8]))[None]


def test_minimum_jerk_bell_is_recovered_exactly():
    dt = 0.01
    t = np.arange(101) * dt
    speed = mm.minimum_jerk_speed(t, 0.1, 0.4, 0.1)
    assert speed.sum() * dt == pytest.approx(0.1, rel=1e-3)  # it moves the distance
    assert speed.argmax() * dt == pytest.approx(0.3)  # peak half way
    shape = mm.speed_profile(_velocity(speed), dt)
    assert shape["bell_r2"][0] == pytest.approx(1.0)
    assert shape["bell_onset_s"][0] == pytest.approx(0.1)
    assert shape["bell_duration_s"][0] == pytest.approx(0.4)
    assert shape["bell_distance_m"][0] == pytest.approx(0.1, rel=1e-6)
    assert shape["peaks_above_half"][0] == 1 and shape["end_speed_fraction"][0] == 0.0


def test_two_bumps_are_not_a_bell():
    dt = 0.01
    t = np.arange(101) * dt
    speed = mm.minimum_jerk_speed(t, 0.0, 0.3, 0.1) + mm.minimum_jerk_speed(t, 0.45, 0.3, 0.1)
    shape = mm.speed_profile(_velocity(speed), dt)
    assert shape["peaks_above_half"][0] == 2
    assert shape["bell_r2"][0] < 0.85
    still_moving = mm.speed_profile(_velocity(np.linspace(0.0, 1.0, 101)), dt)
    assert still_moving["end_speed_fraction"][0] == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------------
# Batched strength sweeps and cached recipes


def test_strength_sweep_matches_one_rollout_per_strength():
    env, policy = training.build(TINY)
    result = training.TrainResult(policy, env, TINY, TrainingLog(), None)
    strengths = [0.0, 8.0, 16.0]
    swept = adaptation.strength_sweep(result, "ccw", strengths)
    assert len(swept) == 3
    for k, trials in zip(strengths, swept):
        single = result.evaluate(ForceField("ccw", k))
        assert trials.hand.shape == single.hand.shape
        np.testing.assert_allclose(trials.hand, single.hand, atol=1e-5)
        np.testing.assert_allclose(trials.endpoint_load, single.endpoint_load, atol=1e-4)
        assert trials.config["strength"] == k
    noisy = replace(TINY, proprioception_noise=1e-3, vision_noise=1e-3, command_noise=0.05, hidden_noise=0.01)
    env, policy = training.build(noisy)
    result = training.TrainResult(policy, env, noisy, TrainingLog(), None)
    at_zero = adaptation.strength_sweep(result, "cw", [0.0, 8.0])[0]  # the noise of evaluate: only the field differs
    np.testing.assert_allclose(at_zero.hand, result.evaluate(ForceField("cw", 8.0), catch=True).hand, atol=1e-6)
    with pytest.raises(ValueError):
        FieldBatch.strengths("cw", [0.0, 8.0, 16.0], 1).trial_matrices(4)


def test_cached_recipes_load_without_worker_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", str(tmp_path / "build"))
    configs = [TINY, replace(TINY, seed=1)]
    trained = [modelcache.train_cached(c, progress=False) for c in configs]

    def no_sweep(*args, **kwargs):
        raise AssertionError("everything is cached: no sweep should start")

    monkeypatch.setattr(recipes, "run_sweep", no_sweep)
    loaded = recipes.train_side_by_side(configs, progress=False)
    assert [r.log for r in loaded] == [r.log for r in trained]
    with pytest.raises(AssertionError, match="no sweep"):  # one missing model: the sweep trains it
        recipes.train_side_by_side([replace(TINY, seed=2)], progress=False)


# --------------------------------------------------------------------------------------------------
# Two-control precomputed widget


def _render(row, column):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [row, column])
    ax.set_title(f"{row} {column}")
    return fig


def test_precomputed_grid_structure_and_jslinks():
    box = mkw.precomputed_grid(["a", "b"], [1, 2, 3], lambda r, c: _render(ord(r), c), row_label="row",
                               column_label="col", column_fmt=lambda c: f"c{c}", start=(1, 2))
    buttons, slider, stack = box.children
    assert isinstance(buttons, widgets.ToggleButtons) and buttons.options == ("a", "b") and buttons.index == 1
    assert slider.options == ("c1", "c2", "c3") and slider.index == 2
    assert isinstance(stack, widgets.Stack) and stack.selected_index == 1 and box.stack is stack
    assert all(isinstance(s, widgets.Stack) and s.selected_index == 2 for s in stack.children)
    images = [bytes(img.value) for s in stack.children for img in s.children]
    assert len(images) == 6 and len(set(images)) == 6 and all(i.startswith(b"\x89PNG") for i in images)
    links = box.links
    assert all(link._model_name == "LinkModel" for link in links)  # browser-side: no kernel needed
    assert links[0].source == (buttons, "index") and links[0].target == (stack, "selected_index")
    assert {link.target[0] for link in links[1:]} == set(stack.children)
    assert all(link.source == (slider, "index") for link in links[1:])
    assert not plt.get_fignums()
    with pytest.raises(ValueError):
        mkw.precomputed_grid([], [1], _render, "r", "c")


# --------------------------------------------------------------------------------------------------
# Figures


@pytest.fixture(scope="module")
def reaches() -> dict:
    """Untrained-policy rollouts of both bodies (shapes and units as in the chapters)."""
    out = {}
    for name in ("arm26", "pointmass"):
        env, policy = training.build(replace(TINY, effector=name, duration=0.3))
        result = training.TrainResult(policy, env, replace(TINY, effector=name, duration=0.3), TrainingLog(), None)
        out[name] = (result.evaluate(ForceField("cw", 8.0)), env.effector)
    return out


def test_reaching_figures_render(reaches: dict):
    trials, arm = reaches["arm26"]
    assert isinstance(trials, Rollout)
    fig, (a1, a2) = plt.subplots(1, 2)
    plots.plot_reaches(a1, trials, baseline=trials)
    assert a1.get_aspect() == 1.0 and len(a1.patches) == 8  # one circle per target
    plots.plot_speed_profiles(a2, trials, until_s=0.2)
    assert len(a2.lines) == 16  # 8 profiles and 8 fitted bells
    fig = plots.plot_activations_by_target(trials, arm)
    assert len(fig.axes) == 9 and fig.legends
    fig = plots.plot_reach_detail(trials, arm, 3, title="one reach")
    assert len(fig.axes) == 3
    pm_trials, pm = reaches["pointmass"]
    plots.plot_reach_detail(pm_trials, pm, 0)
    with pytest.raises(ValueError):
        plots.plot_activations_by_target(trials.take(range(4)), arm)


def test_training_and_adaptation_figures_render(reaches: dict):
    trials, _ = reaches["arm26"]
    log = TrainingLog([{"batch": b, "loss": 1.0 / b, **({"test_endpoint_error_cm": 5.0 / b} if b % 5 == 0 else {})}
                       for b in range(1, 31)])
    fig, (a1, a2, a3, a4) = plt.subplots(1, 4)
    plots.plot_loss_curves(a1, {"arm": log}, smooth=5)
    assert a1.get_yscale() == "log" and len(a1.lines) == 2
    plots.plot_eval_curves(a2, {"arm": log})
    assert len(a2.lines[0].get_xdata()) == 6
    plots.plot_lateral_learning_curves(a3, {"cw": ([0, 2, 4], [-4.0, -1.0, -0.5]), "ccw": ([0, 2, 4], [4, 1, 0])},
                                       after={"cw": 3.5, "ccw": -3.5})
    assert "catch" in [t.get_text() for t in a3.get_xticklabels()]
    conditions = ("baseline", "first_exposure", "adapted", "aftereffect")
    plots.plot_condition_bars(a4, {"cw": {c: np.arange(8.0) for c in conditions}}, conditions)
    assert len(a4.patches) == 4
    fig = plots.plot_adaptation_paths({f: {c: trials for c in conditions} for f in ("cw", "ccw")},
                                      baseline=trials)
    assert len(fig.axes) == 6
    fig = plots.plot_field_exposure({"a": trials, "b": trials}, "cw", 8.0, baseline=trials)
    assert len(fig.axes) == 2
    fig, (b1, b2) = plt.subplots(1, 2)
    velocities = 0.5 * np.eye(2)
    plots.plot_curl_forces(b1, velocities, ForceField("cw", 8.0).force(velocities).numpy(), "C3")
    plots.plot_strength_sweep(b2, [0, 8], {("null", "cw"): [0, -4], ("adapted", "cw"): [4, 0]}, learned=8)
    assert len(b2.lines) == 4  # two curves, zero line, learned strength


def test_curl_force_arrows_point_right_of_the_movement_in_cw():
    fig, ax = plt.subplots()
    velocities = 0.5 * np.c_[np.cos(np.radians([0, 90])), np.sin(np.radians([0, 90]))]
    plots.plot_curl_forces(ax, velocities, ForceField("cw", 8.0).force(velocities).numpy(), "C3")
    arrows = [a for a in ax.texts if a.arrow_patch is not None]
    forces = arrows[1::2]  # velocity, force, velocity, force, ...
    start, end = np.array(forces[0].xyann), np.array(forces[0].xy)  # rightward movement (0 deg)
    assert end[1] < start[1] and end[0] == pytest.approx(start[0])  # pushed towards -y


def test_settle_batch_is_where_the_curve_stays_within_the_bound():
    batches = [0, 2, 4, 6, 8]
    assert adaptation.settle_batch(batches, [-4.0, 2.0, -0.5, -1.5, -0.5]) == 8
    assert adaptation.settle_batch(batches, [-4.0, -0.9, -0.5, 0.2, 0.1]) == 2
    assert adaptation.settle_batch(batches, [-4.0, -0.5, -0.5, -0.5, -2.0]) is None  # not settled yet
    assert adaptation.settle_batch(batches, [-4.0, -1.9, -1.5, -1.2, -1.1], fraction=0.5) == 2


def test_balance_strength_interpolates_on_the_grid():
    assert adaptation.balance_strength([0, 4, 8, 12], [3.0, 1.0, -1.0, -3.0]) == pytest.approx(6.0)
    assert adaptation.balance_strength([0, 2, 4], [-1.0, -0.5, 1.5]) == pytest.approx(2.5)  # grid step read, not typed
    assert np.isnan(adaptation.balance_strength([0, 4], [1.0, 2.0]))


# --------------------------------------------------------------------------------------------------
# What chapter 3 compares, and the figures of the chapters' widgets


def test_conditions_and_field_exposure_collect_the_rollouts_by_field():
    from types import SimpleNamespace

    runs = {f: SimpleNamespace(first_exposure=f + " first", adapted=f + " adapted", aftereffect=f + " after",
                               baseline=f + " baseline") for f in ("cw", "ccw")}
    assert adaptation.conditions(runs) == {
        f: {"first_exposure": f + " first", "adapted": f + " adapted", "aftereffect": f + " after"}
        for f in ("cw", "ccw")}
    assert list(adaptation.conditions(runs, ("adapted",))["cw"]) == ["adapted"]
    null = SimpleNamespace(evaluate=lambda load: ("null", load))
    adapted = SimpleNamespace(evaluate=lambda load: ("adapted", load))
    exposed = adaptation.field_exposure(null, adapted, "ccw", 4.0)
    assert exposed["null"] == ("null", ForceField("ccw", 4.0))
    assert exposed["adapted"] == ("adapted", ForceField("ccw", 4.0))


def test_widget_figures_of_reaching_and_adaptation(reaches: dict):
    trials, arm = reaches["arm26"]
    fig = plots.plot_reach_toward(trials, arm, 2, "arm")
    assert fig.get_suptitle() == "Arm, target at 90°"  # the test set's third target
    fig = plots.plot_exposure_pair({"null": trials, "adapted": trials}, "cw", 4.0, 8.0, baseline=trials)
    assert [a.get_title() for a in fig.axes][:2] == ["null-field network (first exposure)", "adapted to CW, k = 8"]


def test_the_books_recipe_is_the_plain_task_with_its_feedback_parts() -> None:
    """null_config adds the delay, no-go trials, noise and body-scaled pushes; the poster's recipe and the
    ablations take them away again (book/conventions.md, "Training trials and the go cue")."""
    plain = training.TrainConfig()
    for effector in ("arm26", "pointmass"):
        book = recipes.null_config(effector)
        assert book.delay == (0.3, 0.6) and book.no_go_fraction == 0.2 and book.push_fraction == 1.0
        assert book.push_force == recipes.PUSHES[effector]["push_force"]
        assert all(getattr(book, f"{n}_noise") > 0 for n in ("action", "command", "proprioception", "vision", "hidden"))
        poster = recipes.null_config(effector, **recipes.POSTER)
        assert {name: getattr(poster, name) for name in recipes.PLAIN} == {**recipes.PLAIN, "smoothness_weight": 0.0}
        assert recipes.PLAIN["duration"] == plain.duration and recipes.PLAIN["push_fraction"] == 0.0
        quiet = recipes.null_config(effector, **recipes.FEEDBACK_ABLATION["no noise"])
        assert quiet == replace(book, action_noise=0.0, command_noise=0.0, proprioception_noise=0.0,
                                vision_noise=0.0, hidden_noise=0.0)
    assert recipes.PUSHES["pointmass"]["push_duration"][1] > recipes.PUSHES["arm26"]["push_duration"][1]
    with pytest.raises(ValueError, match="unknown effector"):
        recipes.null_config("leg")
