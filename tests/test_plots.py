"""Plots: colour conventions and that the chapter-1 drawings render for both effectors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks keep the inline backend
import matplotlib.pyplot as plt
import numpy as np
import pytest

from motorkit import effectors as fx
from motorkit import plots
from motorkit.publish import html


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
    r = plots.plot_excitation_paths(ax, eff, fx.single_muscle_excitations(eff, 0.01), 0.1)
    assert r.hand.shape == (11, eff.n_muscles, 2)
    assert len(ax.lines) >= eff.n_muscles


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
