"""Figures of learning (chapters 2-4): training and test-set curves, adaptation curves, the batch-size study.

Losses are drawn on log axes labelled with plain numbers (:func:`~motorkit.plots.style.plain_log_ticks`);
raw per-batch curves faint, their moving averages bold.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from motorkit.plots.colors import FIELD_COLORS, FIELD_LABELS, batch_size_colors
from motorkit.plots.style import finish, plain_log_ticks, plot_band
from motorkit.traininglog import TrainingLog


# --------------------------------------------------------------------------------------------------
# Training and adaptation (chapters 2 and 3)


def plot_loss_curves(ax: Axes, logs: dict[str, TrainingLog], colors: dict[str, object] | None = None,
                     smooth: int = 25, key: str = "loss", log_scale: bool = True) -> Axes:
    """Training loss per batch of each run in ``logs`` (label -> training log): faint raw, bold running mean."""
    for n, (label, log) in enumerate(logs.items()):
        color = (colors or {}).get(label, f"C{n}")
        ax.plot(*log.curve(key), color=color, lw=0.6, alpha=0.35)
        ax.plot(*log.curve(key, smooth), color=color, lw=2, label=label)
    if log_scale:
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis, minor_marks=True)
    ax.legend()
    return ax


def plot_eval_curves(ax: Axes, logs: dict[str, TrainingLog], key: str = "test_endpoint_error_cm",
                     colors: dict[str, object] | None = None, log_scale: bool = True) -> Axes:
    """A test-set metric logged during training (``key`` of the eval rows) against batches, per run."""
    for n, (label, log) in enumerate(logs.items()):
        color = (colors or {}).get(label, f"C{n}")
        ax.plot(*log.curve(key), "o-", color=color, ms=3, lw=1.5, label=label)
    if log_scale:
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis, minor_marks=True)
    ax.legend()
    return ax


def plot_lateral_learning_curves(ax: Axes, curves: dict[str, tuple[Sequence[int], Sequence[float]]],
                                 colors: dict[str, object] | None = None, after: dict[str, float] | None = None,
                                 legend: bool = True) -> Axes:
    """Signed lateral deviation (cm, mean over targets) against batches of learning, one line per field.

    ``curves`` maps a field to (batches, lateral) as :meth:`motorkit.adaptation.Adaptation.learning_curve`
    returns them (batch 0: first exposure, drawn as a large dot); ``after`` adds each field's
    after-effect (catch trials) as an open dot at an extra tick, "catch", right of the last batch.
    """
    colors = FIELD_COLORS if colors is None else colors
    last = 0
    for field, (batches, lateral) in curves.items():
        color = colors.get(field, "k")
        ax.plot(batches, lateral, "-", color=color, lw=1.5, label=f"{FIELD_LABELS.get(field, field)} field on")
        ax.plot(batches[0], lateral[0], "o", color=color, ms=7)
        last = max(last, int(batches[-1]))
    for field, value in (after or {}).items():
        ax.plot(last * 1.12, value, "o", mfc="white", mec=colors.get(field, "k"), mew=2, ms=7,
                label=f"{FIELD_LABELS.get(field, field)} catch trials", clip_on=False)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.text(0.5, 0.98, "left of the movement (CCW side)", transform=ax.transAxes, ha="center", va="top",
            fontsize=8, color="0.35")
    ax.text(0.5, 0.02, "right of the movement (CW side)", transform=ax.transAxes, ha="center", va="bottom",
            fontsize=8, color="0.35")
    if after:
        ticks = [t for t in ax.get_xticks() if 0 <= t <= last]
        ax.set_xticks(ticks + [last * 1.12], [f"{t:g}" for t in ticks] + ["catch"])
        ax.set_xlim(right=last * 1.17)
    if legend:
        ax.legend(loc="center right")
    return ax


# --------------------------------------------------------------------------------------------------
# Loss analysis (chapter 4): loss curves over networks, the batch-size study


def plot_field_loss_curves(curves: dict[str, np.ndarray], window: int, strength: float,
                           ylabel: str = "distance term of the training loss (cm)",
                           figsize: tuple[float, float] = (9.5, 4.0)) -> Figure:
    """One panel per curl field: each network's per-batch training loss (faint) and its moving average.

    ``curves`` maps a field (``"cw"``, ``"ccw"``) to an array (networks, batches) of losses per batch.
    The thick line is the mean over networks of the ``window``-batch trailing average (drawn at the
    window's last batch), the band ± 1 sd over networks; the dashed line is the mean loss of batch 1,
    before any update (first exposure). Log y axis, shared by the panels.
    """
    from motorkit.sweeps import moving_average

    fig, axes = plt.subplots(1, len(curves), figsize=figsize, constrained_layout=True, sharey=True, squeeze=False)
    for ax, (field, losses) in zip(axes[0], curves.items()):
        color = FIELD_COLORS.get(field, "k")
        batches = np.arange(1, losses.shape[1] + 1)
        for i, seed_loss in enumerate(losses):
            ax.plot(batches, seed_loss, color=color, lw=0.6, alpha=0.3,
                    label="each network, per batch" if i == 0 else None)
        smooth = np.array([moving_average(s, window) for s in losses])
        plot_band(ax, batches[window - 1:], smooth, color, label=f"mean of {losses.shape[0]} networks, "
                  f"{window}-batch average (± 1 sd)")
        ax.axhline(losses[:, 0].mean(), color="0.3", lw=1, ls="--", label="batch 1 (first exposure)")
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis, subs=(1.0, 2.0, 3.0, 5.0))
        ax.legend(loc="upper right")
        finish(ax, "batches of learning in the field", ylabel if ax is axes[0, 0] else "",
               f"{field.upper()} field, k = {strength:g} N·s/m")
    return fig


def plot_batch_size_study(curves: dict, level: float | None = None,
                          ylabel: str = "test set: hand-target distance over the episode (cm)",
                          highlight: int | None = None, figsize: tuple[float, float] = (9.8, 4.0)) -> Figure:
    """The batch-size study in three panels: test-set loss against batches, samples seen and training time.

    ``curves`` maps batch size -> :class:`motorkit.sweeps.SeedCurves` (point 0 = before training).
    Lines are means over networks (seeds), bands ± 1 sd; ``level`` (cm) is drawn as a dotted line. Samples and
    seconds use log axes (point 0 is left off there). ``highlight`` draws that batch size strongly
    and fades the others.
    """
    colors = batch_size_colors(list(curves))
    fig, axes = plt.subplots(1, 3, figsize=figsize, constrained_layout=True, sharey=True)
    for b, c in curves.items():
        alpha = 1.0 if highlight is None or highlight == b else 0.18
        lw = 2.6 if highlight == b else 1.8
        label = f"batch {b}"
        plot_band(axes[0], c.batches, c.values, colors[b], label, alpha=alpha, lw=lw)
        later = c.batches > 0
        plot_band(axes[1], c.samples[later], c.values[:, later], colors[b], label, alpha=alpha, lw=lw)
        plot_band(axes[2], c.seconds[:, later].mean(axis=0), c.values[:, later], colors[b], label, alpha=alpha,
                  lw=lw)
    for ax in axes:
        if level is not None:
            ax.axhline(level, color="0.35", lw=1, ls=":", label=f"{level:.2f} cm (Figure 4.3)")
    axes[0].set_yscale("log")
    plain_log_ticks(axes[0].yaxis, subs=(1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0))
    for ax in axes[1:]:
        ax.set_xscale("log")
        plain_log_ticks(ax.xaxis, subs=(1.0,) if ax is axes[1] else (1.0, 2.0, 5.0))
    finish(axes[0], "batches (updates)", ylabel, "Per batch")
    finish(axes[1], "samples seen (batches × batch size)", "", "Per sample")
    finish(axes[2], "training time (s, one core per run)", "", "Per second of training")
    axes[0].legend(loc="upper right")
    return fig


def plot_batch_size_costs(batch_sizes: Sequence[int], seconds_per_batch: np.ndarray, costs: dict[str, Sequence[float]],
                          level: float, figsize: tuple[float, float] = (10.0, 4.0)) -> Figure:
    """Left: seconds per batch against batch size (dots: runs) beside proportional growth.

    Right: what reaching the same test-set loss ``level`` costs each batch size, in batches, samples
    and training seconds, relative to the smallest batch size (``costs`` maps a currency to one value
    per batch size).
    """
    sizes = np.asarray(batch_sizes, dtype=float)
    spb = np.atleast_2d(np.asarray(seconds_per_batch, dtype=float))  # (batch sizes, seeds)
    colors = batch_size_colors(batch_sizes)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=figsize, constrained_layout=True)
    mean = spb.mean(axis=1)
    a1.plot(sizes, mean, "-", color="0.3", lw=1.5, zorder=1, label="measured (mean over runs)")
    for b, row in zip(batch_sizes, spb):
        a1.plot(np.full(row.size, b), row, "o", color=colors[b], ms=6, zorder=2)
    a1.plot(sizes, mean[0] * sizes / sizes[0], ":", color="0.5", label="if time grew in proportion to batch size")
    a1.set(xscale="log", yscale="log")
    plain_log_ticks(a1.yaxis)
    a1.set_xticks(sizes, [f"{b:g}" for b in sizes])
    a1.xaxis.set_minor_locator(mpl.ticker.NullLocator())
    a1.legend(loc="upper left")
    finish(a1, "batch size", "seconds per batch (one core)", "Cost of one batch")
    markers = {"batches": "o", "samples": "s", "seconds": "^"}
    for (name, values), color in zip(costs.items(), ("C2", "C1", "C4")):
        values = np.asarray(values, dtype=float)
        a2.plot(sizes, values / values[0], "-", marker=markers.get(name, "o"), color=color, lw=2, label=name)
    a2.axhline(1.0, color="0.5", lw=0.8)
    a2.set(xscale="log", yscale="log")
    plain_log_ticks(a2.yaxis)
    a2.set_xticks(sizes, [f"{b:g}" for b in sizes])
    a2.xaxis.set_minor_locator(mpl.ticker.NullLocator())
    a2.legend(loc="upper left")
    finish(a2, "batch size", f"cost relative to batch {sizes[0]:g}",
           f"Cost to reach a test loss of {level:.2f} cm")
    return fig
