"""Plots: colour conventions, the shared style helpers, and that the chapter-1 drawings render for both effectors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks keep the inline backend
import matplotlib.pyplot as plt
import numpy as np
import pytest

from motorkit import effectors as fx
from motorkit import plots
from motorkit.publish import html
from motorkit.sweeps import moving_average


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_target_colors_are_distinct_and_start_rightward_red():
    colors = plots.target_colors(8)
    assert len(colors) == 8 and len(set(colors)) == 8
    r, g, b = colors[0]
    assert r > g and r > b
    assert plots.direction_color(45.0) == colors[1]


def test_one_colour_table_for_fields_networks_and_directions():
    assert set(plots.FIELD_COLORS) == {"null", "cw", "ccw"} == set(plots.FIELD_LABELS)
    assert plots.NETWORK_COLORS == plots.FIELD_COLORS  # a network is drawn in the colour of its field
    assert plots.direction_color("PC2") == plots.DIRECTION_COLORS["PC2"]
    assert plots.direction_color("random 3") == plots.DIRECTION_COLORS["random"]
    assert plots.direction_color("something else") == "0.3"


def test_plain_log_ticks_write_plain_numbers():
    _, ax = plt.subplots()
    ax.plot([0.05, 2000], [0.05, 2000])
    ax.set_xscale("log")
    ax.set_yscale("log")
    plots.plain_log_ticks(ax.xaxis)
    plots.plain_log_ticks(ax.yaxis, minor_marks=True)
    plt.gcf().canvas.draw()
    labels = {t.get_text() for t in ax.get_xticklabels()}
    assert {"0.1", "0.2", "0.5", "1", "10", "1,000"} <= labels
    assert not ax.xaxis.get_minorticklocs().size and ax.yaxis.get_minorticklocs().size
    assert not any(t.get_text() for t in ax.yaxis.get_minorticklabels())


def test_centred_moving_average_keeps_the_length():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 10.0])
    smooth = moving_average(values, 3, centred=True)
    assert smooth.shape == values.shape
    assert np.allclose(smooth, [1.5, 2.0, 3.0, 4.0, 19 / 3, 7.5])  # fewer points at the ends
    assert np.array_equal(moving_average(values, 1, centred=True), values)
    assert np.allclose(moving_average(values, 3), [2.0, 3.0, 4.0, 19 / 3])  # trailing: n - window + 1


def test_muscle_colors_follow_pull_directions():
    pm, arm = fx.make_effector("pointmass"), fx.make_effector("arm26")
    assert len(plots.muscle_colors(arm)) == 6
    colors = plots.muscle_colors(pm)
    assert colors[pm.muscle_name.index("UpperRight")] == plots.direction_color(45.0)


@pytest.mark.parametrize("name", fx.EFFECTORS)
def test_draw_effector_and_paths(name):
    eff = fx.make_effector(name)
    _, ax = plt.subplots()
    plots.draw_effector(ax, eff, rng=np.random.default_rng(0))
    assert ax.get_legend() is not None and ax.get_aspect() == 1.0
    _, ax = plt.subplots()
    (r,) = fx.single_muscle_runs([eff], [0.01], 0.1)
    assert r.hand.shape == (eff.n_muscles, 11, 2)
    plots.plot_excitation_paths(ax, eff, r)
    assert len(ax.lines) >= eff.n_muscles
    fig = plots.plot_single_muscle_paths([eff], [r], [0.01])
    assert "100 ms" in fig.axes[0].get_title() and len(fig.axes[0].lines) >= eff.n_muscles
    fig = plots.plot_excitation_response(eff, fx.simulate_constant(eff, np.full(eff.n_muscles, 0.01), 0.1))
    assert len(fig.axes[0].lines) >= 1


def test_arm_muscle_paths_are_schematic_polylines():
    arm = fx.make_effector("arm26")
    points = fx.segment_points(arm, fx.start_position(arm))[0]
    paths = plots.arm_muscle_paths(points)
    assert list(paths) == arm.muscle_name
    assert all(p.ndim == 2 and p.shape[1] == 2 for p in paths.values())


def test_curves_moment_arms_and_tables():
    arm = fx.make_effector("arm26")
    lengths, velocities = np.linspace(0.5, 1.6, 23), np.linspace(-5, 5, 21)
    fig = plots.plot_muscle_curves(lengths, fx.muscle_force_length(arm, lengths), velocities,
                                   fx.muscle_force_velocity(arm, velocities), shade_velocity=1.0,
                                   length_ranges=fx.fibre_length_range(arm, n=5))
    assert len(fig.axes) >= 2
    fig = plots.plot_moment_arms(arm, *fx.moment_arms_grid(arm, n=7))
    assert fig.axes[0].get_ylabel() == "moment arm (cm)"
    fx.reset_at(arm)
    tables = html.state_tables_html(fx.state_tables(arm))
    assert tables.count("<table") == 3 and "force-length CE" in tables and "moment for joint 1" in tables
    assert "&lt;b&gt;" in html.html_table(["a"], [["<b>"]])  # cells are escaped


@pytest.mark.parametrize("name", ["pointmass", "arm26"])
def test_training_trials_and_workspace_reaches_draw_what_they_are_given(name):
    import torch

    from motorkit.rollouts import rollout
    from motorkit.tasks import GENERALIZATION_STARTS, CentreOutReach, TaskConfig
    from motorkit.training import TrainConfig, build
    from motorkit.closed_loop import Simulator

    env = CentreOutReach(TaskConfig(effector=name))
    trials = env.sample_trials(32, torch.Generator().manual_seed(0))
    region = fx.start_region_outline(env.effector)
    fig, (a1, a2) = plt.subplots(1, 2)
    plots.plot_training_trials(a1, trials.start.numpy(), trials.target.numpy(), env.effector, region)
    hold = int((trials.target == trials.start).all(dim=1).sum())
    assert len(a1.texts) == 32 - hold  # one arrow per reaching trial
    x0, x1 = a1.get_xlim()
    assert x0 <= region[:, 0].min() and x1 >= region[:, 0].max()  # the whole region is in view
    _, policy = build(TrainConfig(effector=name, duration=0.1))
    sim = Simulator(env, policy)
    starts = GENERALIZATION_STARTS[name][:2]
    runs = [rollout(sim, env.test_trials(s)) for s in starts]
    postures = [env.joint_state(s)[0, :2] for s in starts] if name == "arm26" else None
    plots.plot_workspace_reaches(a2, runs, env.effector, postures)
    assert len(a2.patches) >= 16  # the targets of both starts (and the workspace)


def test_generalization_figures_draw_what_they_are_given():
    fig, (a1, a2, a3, a4) = plt.subplots(1, 4, figsize=(16, 4))
    postures = [(40.0, 70.0), (50.0, 70.0), (40.0, 80.0)]
    plots.plot_posture_map(a1, postures, [0.1, 0.5, 3.0], ((30, 90), (60, 120)), "error (cm)", vmax=2.0)
    assert len(a1.patches) == 4  # one square per posture, and the region
    assert a1.patches[-1].get_width() == 60 and a1.patches[-1].get_height() == 60
    d = np.array([-135, -90, -45, 0, 45, 90, 135, 180.0])
    runs = np.vstack([np.cos(np.radians(d)), 0.5 * np.cos(np.radians(d))])
    plots.plot_generalization(a2, {"two": (np.array([0.0, 45.0]), np.array([1.0, 0.6]))}, {"two": "g"},
                              spread=(d, runs), spread_label="one")
    labels = [line.get_label() for line in a2.get_lines()]
    assert "two" in labels and "one" in labels
    np.testing.assert_allclose(a2.get_lines()[-2].get_ydata(), runs.mean(axis=0))  # the mean of the runs
    t = np.linspace(0, 1, 11)
    plots.plot_channel_forces(a3, t, np.ones((2, 11)), 2 * np.ones((2, 11)), "r", "net")
    assert [line.get_label() for line in a3.get_lines()][-2:] == ["net: channel force", "net: ideal"]
    plots.plot_against(a4, [4, 8, 12], {"index": [2.0, 1.0, 0.7]}, {"index": "r"}, trained=8)
    assert a4.get_lines()[-1].get_ydata().tolist() == [2.0, 1.0, 0.7]


def test_savings_figures_draw_what_they_are_given():
    fig, axes = plt.subplots(1, 4)
    x = np.arange(1, 11, dtype=float)
    runs = np.vstack([np.linspace(3, 1, 10), np.linspace(2.8, 0.9, 10)])
    plots.plot_curves(axes[0], {"FF1": (x, runs)}, plots.BLOCK_COLORS, level=1.2)
    plots.shade_blocks(axes[0], [("FF1", 0, 10, "cw"), ("NF2", 10, 20, "null")])
    assert len(axes[0].lines) == 4 and [t.get_text() for t in axes[0].texts] == ["FF1", "NF2"]
    plots.plot_paired(axes[1], {"FF1": [20.0, 22.0], "FF2": [12.0, 15.0]}, plots.BLOCK_COLORS, [0, 1])
    assert len(axes[1].patches) == 2 and len(axes[1].lines) == 2
    states = {"NF1": np.zeros((8, 2)), "FF1": np.ones((8, 2))}
    plots.plot_shift_states(axes[2], states, plots.BLOCK_COLORS)
    assert len(axes[2].collections) == 2 and len(axes[2].texts) == 1  # one arrow, from NF1 to FF1
    data = np.vstack([np.where(np.arange(10) % 2, np.nan, x / 10)] * 2)  # measured every other batch
    plots.plot_two_state(axes[3], x, data, x / 20, x / 20)
    assert len(axes[3].lines) == 4


def test_schedule_figure_sets_the_blocks_one_after_the_other():
    from motorkit.savings import ScheduleBlock

    x = np.arange(1, 6, dtype=float)
    curve = (x, np.vstack([np.linspace(3, 1, 5), np.linspace(2.5, 1, 5)]))
    blocks = [ScheduleBlock("FF1", 5, curve, curve), ScheduleBlock("NF2", 5, curve, curve)]
    fig = plots.plot_schedule({"savings": ("NF1 → FF1 → NF2", blocks)}, "savings", plots.BLOCK_COLORS, criterion=1.2)
    error, index = fig.axes
    assert error.get_title() == "NF1 → FF1 → NF2" and index.get_ylabel() == "adaptation index"
    starts = [line.get_xdata()[0] for line in error.lines if len(line.get_xdata()) == 5]
    assert starts == [1.0, 6.0]  # the second block starts after the first one's 5 batches
    assert [line.get_ydata()[0] for line in error.lines if len(line.get_xdata()) == 2] == [1.2]  # the criterion


def test_delayed_reach_figures_draw_what_they_are_given():
    """The cue markers, the hold plot and the endpoint clouds of a delayed, noisy reach (chapter 2)."""
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    hand = np.cumsum(rng.normal(0, 1e-4, (8, 50, 2)), axis=1)
    fig, (a1, a2, a3) = plt.subplots(1, 3)
    plots.mark_cue(a1, 0.45, 0.55, rng.uniform(0.15, 0.2, 8))
    assert [line.get_xdata()[0] for line in a1.lines[:2]] == [450.0, 550.0]
    assert len(a1.lines) == 2 + 8  # the cue, the moment it is seen, one reaction time per trial
    plots.plot_hold(a2, SimpleNamespace(hand=hand, dt=0.01))
    away = 100 * np.linalg.norm(hand[3] - hand[3, 0], axis=-1)
    np.testing.assert_allclose(a2.lines[3].get_ydata(), away)
    np.testing.assert_allclose(a2.lines[3].get_xdata()[-1], 490.0)
    targets = rng.normal(0, 0.1, (8, 2))
    ends = targets[:, None] + rng.normal(0, 0.002, (8, 32, 2))
    plots.plot_endpoint_clouds(a3, ends, targets)
    np.testing.assert_allclose(a3.lines[0].get_xdata(), 100 * (ends[0, :, 0] - targets[0, 0]))
    assert len(a3.lines) == 8 + 1  # a cloud per target, and the common origin
    plt.close(fig)


def test_occupancy_figure_draws_each_share_over_time_and_names_the_epochs():
    fig, ax = plt.subplots()
    shares = {"preparatory subspace": np.linspace(0, 1, 11), "movement subspace": np.linspace(1, 0, 11)}
    plots.plot_occupancy(ax, shares, 0.01, {"preparatory subspace": "C0", "movement subspace": "C1"},
                         {"delay": (1, 4), "movement": (5, 9)})
    np.testing.assert_allclose(ax.lines[0].get_ydata(), shares["preparatory subspace"])
    np.testing.assert_allclose(ax.lines[1].get_xdata(), 10.0 * np.arange(11))
    assert [t.get_text() for t in ax.texts] == ["delay", "movement"]
    assert len(ax.patches) == 2  # the two shaded epochs
    plt.close(fig)
