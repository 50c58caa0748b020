"""Figures of savings and interference (chapter 8): protocol learning curves, relearning against first
learning, per-network paired measures, the preparatory shift, and the two-state model.

Curves over several networks are drawn as their mean with a band (:func:`~motorkit.plots.style.plot_band`);
each block of a protocol is shaded in its field's colour and named above the axes.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from motorkit.plots.colors import FIELD_COLORS
from motorkit.plots.style import finish, plot_band


def shade_blocks(ax: Axes, blocks: Sequence[tuple[str, float, float, str]], names: bool = True) -> Axes:
    """Shade each block ``(name, first batch, last batch, field)`` of a protocol in its field's colour
    (null fields left white) and, with ``names``, write its name above the axes."""
    for name, first, last, field in blocks:
        if field != "null":
            ax.axvspan(first, last, color=FIELD_COLORS.get(field, "0.8"), alpha=0.08, lw=0)
        ax.axvline(first, color="0.75", lw=0.8, zorder=0)
        if names:
                ax.text((first + last) / 2, 1.01, name, transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize=9)
    return ax


def plot_curves(ax: Axes, curves: dict[str, tuple[np.ndarray, np.ndarray]], colors: dict[str, object],
                level: float | None = None, level_label: str = "criterion", band: str = "minmax",
                styles: dict[str, str] | None = None) -> Axes:
    """Learning curves (label -> (batches, values of each network (networks, batches))): mean and band;
    ``level`` draws a dotted criterion line."""
    for label, (x, values) in curves.items():
        plot_band(ax, x, values, colors[label], label=label, band=band, ls=(styles or {}).get(label, "-"))
    if level is not None:
        ax.axhline(level, color="k", ls=":", lw=1, label=level_label)
    ax.legend()
    return ax


def plot_paired(ax: Axes, values: dict[str, Sequence[float]], colors: dict[str, object],
                networks: Sequence[object] | None = None) -> Axes:
    """One line per network through its value in each condition (label -> one value per network), with
    each condition's mean as a bar: paired comparisons such as batches to criterion in FF1 and FF2."""
    labels = list(values)
    data = np.array([values[k] for k in labels], dtype=float)  # (conditions, networks)
    x = np.arange(len(labels))
    ax.bar(x, np.nanmean(data, axis=1), 0.6, color=[colors[k] for k in labels], alpha=0.35, zorder=1)
    for n in range(data.shape[1]):
        name = None if networks is None else f"network {networks[n]}"
        ax.plot(x, data[:, n], "o-", color="0.3", ms=4, lw=1, zorder=2, label=name)
    ax.set_xticks(x, labels)
    ax.grid(axis="x", visible=False)
    return ax


def plot_shift_states(ax: Axes, states: dict[str, np.ndarray], colors: dict[str, object]) -> Axes:
    """Pre-movement states of each network (label -> (targets, 2), in a plane of the hidden space): one dot
    per target, and an arrow from the first network's mean to each other's."""
    origin = next(iter(states.values())).mean(axis=0)
    for label, xy in states.items():
        ax.scatter(xy[:, 0], xy[:, 1], s=22, color=colors[label], label=label, zorder=3, edgecolor="white", lw=0.5)
        mean = xy.mean(axis=0)
        if not np.allclose(mean, origin):
            ax.annotate("", mean, origin, arrowprops={"arrowstyle": "->", "color": colors[label], "lw": 1.5})
    ax.legend()
    return ax


def plot_two_state(ax: Axes, x: np.ndarray, data: np.ndarray, fast: np.ndarray, slow: np.ndarray,
                   color: object = "k") -> Axes:
    """A learning curve (networks, batches; NaN where not measured) and the two-state model fitted to it:
    total, fast and slow."""
    seen = np.isfinite(data).all(axis=0)
    plot_band(ax, x[seen], data[:, seen], "0.6", label="networks (mean, range)", band="minmax", lw=1.2)
    ax.plot(x, fast + slow, color=color, lw=2, label="model: fast + slow")
    ax.plot(x, fast, color=color, lw=1.2, ls="--", label="fast process")
    ax.plot(x, slow, color=color, lw=1.2, ls=":", label="slow process")
    ax.legend()
    return ax


def plot_schedule(schedules: dict[str, tuple[str, Sequence]], name: str, colors: dict[str, object],
                  criterion: float | None = None) -> Figure:
    """The error and adaptation-index curves of one schedule, block after block (``schedules[name]``:
    its title and its :class:`~motorkit.savings.ScheduleBlock` list), the error's ``criterion`` dotted."""
    title, blocks = schedules[name]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), constrained_layout=True)
    start = 0
    for block in blocks:
        for ax, (x, y) in zip(axes, (block.error, block.index)):
            plot_band(ax, x + start, y, colors[block.label], label=block.label, band="minmax")
        start += block.batches
    finish(axes[0], "batch", "error (cm)", title)
    if criterion is not None:
        axes[0].axhline(criterion, color="k", ls=":", lw=1)
    finish(axes[1], "batch", "adaptation index", "")
    axes[0].legend()
    return fig
