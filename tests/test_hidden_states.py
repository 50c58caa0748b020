"""Chapters 5 and 6 helpers: the hidden-state plots render with labels, the animation is self-contained
HTML, and the live-widget controls are built from choices."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")  # tests only; notebooks keep the inline backend
import matplotlib.pyplot as plt
import numpy as np
import pytest

from motorkit import analysis, plots
from motorkit.publish import html as mkhtml
from motorkit.publish import widgets as mkw
from motorkit.rollouts import Rollout


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _traj(n: int = 8, steps: int = 41, k: int = 6) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.cumsum(0.1 * rng.standard_normal((n, steps, k)), axis=1)


def _rollout(offset: float = 0.0) -> Rollout:
    b, t = 8, 41
    ang = np.radians(np.arange(b) * 45.0)
    target = np.c_[np.cos(ang), np.sin(ang)] * 0.1
    s = np.linspace(0, 1, t)[None, :, None]
    path = s * target[:, None] + offset * np.sin(np.pi * s)
    z = np.zeros
    return Rollout(path, np.gradient(path, axis=1) / 0.01, z((b, t, 4)), z((b, t - 1, 6)), z((b, t - 1, 2)),
                   z((b, t, 16)), target, z((b, t, 6)), z((b, t, 4, 6)), dt=0.01)


def test_trajectory_plots_label_their_axes() -> None:
    traj = _traj()
    fig = plt.figure()
    ax = fig.add_subplot(1, 2, 1)
    plots.plot_pc_trajectories(ax, traj, (0, 2), marks={"peak": 10})
    assert len(ax.lines) >= 8 and ax.get_legend_handles_labels()[1] == ["peak", "start (step 0)"]
    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    plots.plot_pc_trajectories_3d(ax3, traj, upto=20)
    assert ax3.get_zlabel() == "PC3"


def test_animation_is_inline_html_with_the_requested_frames() -> None:
    anim = plots.animate_pc_trajectories(_traj(), dt=0.01, frames=5, figsize=(3, 2.5))
    html = mkhtml.animation_html(anim, dpi=30)
    assert html.count("data:image/jpeg;base64") == 5
    assert "<script" in html and "http" not in html  # nothing from the internet (matplotlib links a CDN)


def test_spread_variance_and_bars() -> None:
    fig, (a1, a2, a3) = plt.subplots(1, 3)
    spread = analysis.spread_over_time(_traj())
    plots.plot_spread(a1, spread, 0.01, {"start": 1, "end": (30, 40)}, speed=np.linspace(0, 1, len(spread)))
    assert a1.get_xlabel() == "time from target onset (ms)"
    plots.plot_variance_explained(a2, {"a": np.array([0.5, 0.3, 0.2])})
    assert a2.lines[0].get_ydata()[-1] == pytest.approx(100.0)
    plots.plot_grouped_bars(a3, {"x": [1, 2], "y": [3, 4]}, ["g1", "g2"])
    assert len(a3.patches) == 4


def test_end_states_and_rotation_plane() -> None:
    fig, (a1, a2) = plt.subplots(1, 2)
    angles = np.arange(16) * 22.5
    plots.plot_end_states(a1, np.c_[np.cos(np.radians(angles)), np.sin(np.radians(angles))], angles)
    assert len(a1.collections[0].get_offsets()) == 16
    plots.plot_rotation_plane(a2, _traj(k=2), 0.01)
    assert "rotation" in a2.get_title().lower()


def test_intervention_figures() -> None:
    base, hit = _rollout(), _rollout(0.02)
    fig = plots.plot_pulse_panel(base, hit, 10, "a pulse", deviation_ylim=5)
    assert fig.axes[1].get_ylim() == (0, 5)
    fig, ax = plt.subplots()
    plots.plot_paths_pair(ax, base, hit, mark_step=10, half=0.3)
    assert ax.get_xlim()[1] - ax.get_xlim()[0] == pytest.approx(0.6)
    fig, ax = plt.subplots()
    plots.plot_pulse_deviation(ax, {"PC1": {"t1": np.ones(8)}, "random": {"t1": np.ones((3, 8))}}, ["t1"])
    assert len(ax.patches) == 2
    results = {"a": {"m": 1.0, "n": 2.0}, "b": {"m": 3.0, "n": 0.5}}
    fig = plots.plot_effect_bars(results, {"m": "m (cm)", "n": "n (m/s)"}, ["C0", "C1"],
                                 references={"m": (0.5, "intact")})
    assert [a.get_xlabel() for a in fig.axes] == ["m (cm)", "n (m/s)"]
    fig, ax = plt.subplots()
    plots.plot_transplant_sweep(ax, [1, 2, 4], [3, 2, 1], np.ones((3, 2)), {"ref": (0.5, "r")}, "y (cm)", "t",
                                ylim=(0, 4))
    assert ax.get_ylim() == (0, 4) and ax.get_ylabel() == "y (cm)"


def test_selection_controls() -> None:
    controls = mkw.selection_controls({"step": ("step", [5, 20, 40], 20), "direction": ("dir", ["PC1", "PC2"], "PC2")})
    assert isinstance(controls["step"], widgets.SelectionSlider) and controls["step"].value == 20
    assert isinstance(controls["direction"], widgets.Dropdown) and controls["direction"].value == "PC2"


def test_median_effect_and_deviations_by_kind() -> None:
    from motorkit import interventions as iv

    draws = [{"a": 1.0, "b": 5.0}, {"a": 3.0, "b": 4.0}, {"a": 2.0, "b": 0.0}]
    assert iv.median_effect(draws) == {"a": 2.0, "b": 4.0}
    labels = ["PC1", "readout", "random 1", "random 2"]
    dev = np.arange(4 * 2 * 3, dtype=float).reshape(4, 2, 3) / 100  # (direction, size, target), m
    sweep = iv.PulseSweep(30, labels, [0.5, 1.0], _rollout(), {}, dev, dev, dev)
    by_kind = iv.deviations_cm(sweep, 1.0)
    assert list(by_kind) == ["PC1", "readout", "random"]
    np.testing.assert_allclose(by_kind["PC1"], [3.0, 4.0, 5.0])
    np.testing.assert_allclose(by_kind["random"], [[15.0, 16.0, 17.0], [21.0, 22.0, 23.0]])


def test_random_transplants_are_seeded_transplants_along_random_bases() -> None:
    import torch

    from motorkit import interventions as iv

    donor = np.random.default_rng(0).standard_normal((2, 5, 6))
    hooks = iv.random_transplants(donor, 2, 3, seed=7)
    assert len(hooks) == 3
    h = torch.zeros(2, 6)
    for i, hook in enumerate(hooks):  # the state moves to the donor's, along basis i only
        q = iv.random_basis(2, 6, 7 + i)
        moved = hook.apply(h, 1.0, *(x[1] for x in hook.series(4)))  # step 1: after the donor's step 1
        expected = (torch.as_tensor(donor[:, 2], dtype=torch.float32) @ q.T) @ q
        torch.testing.assert_close(moved, expected)


def test_intervention_effect_and_pulse_on_a_small_network() -> None:
    import torch

    from motorkit import interventions as iv
    from motorkit.closed_loop import Simulator
    from motorkit.fields import ForceField
    from motorkit.rollouts import rollout
    from motorkit.training import TrainConfig, build

    env, policy = build(TrainConfig(duration=0.3))
    sim, targets, null = Simulator(env, policy), env.test_targets(), ForceField("null")
    base = rollout(sim, targets, null)
    unchanged = iv.intervention_effect(sim, targets, null, base)  # no intervention: the same reaches
    assert unchanged == iv.behaviour(base, base) and unchanged["hand_deviation_cm"] == 0.0
    np.testing.assert_allclose(iv.pulse(sim, targets, null, torch.ones(policy.hidden_size), 5, 0.0).hand,
                               base.hand)
    pushed = iv.pulse(sim, targets, null, torch.ones(policy.hidden_size) / 8, 5, 3.0)
    assert iv.hand_deviation(pushed, base).max() > 0
    assert iv.intervention_effect(sim, targets, null, base, policy=policy) == unchanged  # same policy, same reaches


def test_pulse_figure_is_titled_with_the_pulse() -> None:
    base, hit = _rollout(), _rollout(0.02)
    fig = plots.plot_pulse(base, hit, 30, "PC3", 1.5, deviation_ylim=5)
    assert fig.get_suptitle() == "Pulse of size 1.5 along PC3 at 300 ms"
    assert fig.axes[1].get_ylim() == (0, 5)


def test_metric_rows_set_prefixed_measures_side_by_side() -> None:
    metrics = {"pointmass_error_cm": 1.5, "error_cm": 0.5, "pointmass_batches": 300.0, "batches": 3000.0}
    rows = mkhtml.metric_rows(metrics, [("error (cm)", "error_cm"), ("batches", "batches", int)],
                              prefixes=("pointmass_", ""))
    assert rows == [["error (cm)", 1.5, 0.5], ["batches", 300, 3000]]
    assert type(rows[1][1]) is int
