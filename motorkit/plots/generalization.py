"""Figures of generalization (chapter 7): maps over postures, generalization functions, channel forces.

Functions take measured numbers (never networks) and draw onto a given ``Axes``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from motorkit.plots.reaching import plot_reaches
from motorkit.plots.style import finish, plot_band


def plot_posture_map(ax: Axes, postures: Sequence[Sequence[float]], values: Sequence[float],
                     region: tuple[tuple[float, float], tuple[float, float]], label: str, vmax: float,
                     step: float = 10.0, cmap: str = "magma_r") -> mpl.cm.ScalarMappable:
    """One square per start posture, (shoulder, elbow) in degrees, coloured by its value; the training
    ``region`` ((shoulder lo, hi), (elbow lo, hi)) outlined. Returns the colour mapping, for a colour bar."""
    postures, values = np.asarray(postures, dtype=float), np.asarray(values, dtype=float)
    norm = mpl.colors.Normalize(0.0, vmax)
    colours = mpl.colormaps[cmap](norm(np.minimum(values, vmax)))
    for (s, e), c in zip(postures, colours):
        ax.add_patch(mpl.patches.Rectangle((s - step / 2, e - step / 2), step, step, fc=c, ec="white", lw=0.5))
    (s0, s1), (e0, e1) = region
    ax.add_patch(mpl.patches.Rectangle((s0, e0), s1 - s0, e1 - e0, fc="none", ec="#4a78b0", lw=2.5,
                                       label="training starts"))
    ax.set_xlim(postures[:, 0].min() - step, postures[:, 0].max() + step)
    ax.set_ylim(postures[:, 1].min() - step, postures[:, 1].max() + step)
    ax.set_aspect("equal")
    mapping = mpl.cm.ScalarMappable(norm, mpl.colormaps[cmap])
    mapping.set_array([])
    ax.figure.colorbar(mapping, ax=ax, label=label, shrink=0.85, extend="max")
    return mapping


def plot_generalization(ax: Axes, curves: dict[str, tuple[np.ndarray, np.ndarray]], colors: dict[str, object],
                        spread: tuple[np.ndarray, np.ndarray] | None = None, spread_color: object = "0.2",
                        spread_label: str | None = None) -> Axes:
    """Generalization functions: normalised index against angular distance (deg) to the nearest trained direction.

    ``curves`` maps a label to (distances, values); ``spread`` (distances, values of several runs as rows)
    is drawn as a mean line with a min-max band. Guides at 0, 1/2 and 1.
    """
    for level, style in ((0.0, "-"), (0.5, ":"), (1.0, ":")):
        ax.axhline(level, color="0.6", lw=0.8, ls=style, zorder=0)
    if spread is not None:
        plot_band(ax, spread[0], spread[1], spread_color, label=spread_label, band="minmax", marker="o", ms=4)
    for label, (x, y) in curves.items():
        ax.plot(x, y, "-o", ms=4, lw=1.5, color=colors[label], label=label)
    ax.set_xticks(np.arange(-180, 181, 45))
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_channel_forces(ax: Axes, time_s: np.ndarray, measured: np.ndarray, ideal: np.ndarray, color: object,
                        label: str) -> Axes:
    """Channel force (N) over time: the mean over trials of ``measured`` (solid) and of ``ideal`` (dashed)."""
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=0)
    ax.plot(1000 * time_s, measured.mean(axis=0), color=color, lw=2, label=f"{label}: channel force")
    ax.plot(1000 * time_s, ideal.mean(axis=0), "--", color=color, lw=1.5, alpha=0.7, label=f"{label}: ideal")
    return ax


def plot_against(ax: Axes, x: Sequence[float], values: dict[str, Sequence[float]], colors: dict[str, object],
                 trained: float | None = None, trained_label: str = "trained") -> Axes:
    """Lines with markers of several measures against one variable; a dotted line where it was trained."""
    if trained is not None:
        ax.axvline(trained, color="0.5", ls=":", lw=1.2, label=trained_label)
    for label, y in values.items():
        ax.plot(x, y, "-o", ms=5, lw=1.8, color=colors[label], label=label)
    ax.legend(fontsize="small")
    return ax


def plot_practised_direction(functions: dict[str, tuple[np.ndarray, np.ndarray]], catch: dict[str, object],
                             spread: tuple[np.ndarray, np.ndarray], baseline, name: str) -> Figure:
    """The network that practised direction ``name``: its generalization function (``functions[name]``)
    against the range of all (``spread``: distances, one row per network), and its after-effects on
    catch trials (``catch[name]``, a rollout) over the null network's reaches (``baseline``)."""
    label = f"practised {name}°"
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
    plot_generalization(axes[0], {label: functions[name]}, {label: "k"}, spread=spread, spread_color="0.6",
                        spread_label="all eight (mean, range)")
    axes[0].set_ylim(-1.2, 1.5)
    finish(axes[0], "angle to the practised direction (deg)", "adaptation index / practised", "Generalization function")
    plot_reaches(axes[1], catch[name], baseline=baseline)
    finish(axes[1], "x (m)", "y (m)", f"After-effects (catch trials), practised {name}°")
    return fig
