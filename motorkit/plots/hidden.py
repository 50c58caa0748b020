"""Figures of the hidden states (chapters 5 and 6): principal components, and interventions on the state.

Trajectories in principal-component space are coloured by target (:func:`~motorkit.plots.colors.target_colors`);
pushes and silencing along a direction take :data:`~motorkit.plots.colors.DIRECTION_COLORS`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from motorkit.plots.bodies import plot_hand_paths
from motorkit.plots.colors import direction_color, target_colors
from motorkit.plots.style import finish


# --------------------------------------------------------------------------------------------------
# Principal components of the hidden states (chapter 5)


def plot_variance_explained(ax: Axes, ratios: dict[str, np.ndarray], colors: dict[str, str] | None = None,
                            threshold: float | None = 0.9) -> Axes:
    """Cumulative variance explained (%) against the number of principal components, one line per network.

    ``ratios`` maps a label to a PCA's ``explained_variance_ratio_``; ``threshold`` draws a dotted line.
    """
    for i, (name, r) in enumerate(ratios.items()):
        k = np.arange(1, len(r) + 1)
        color = None if colors is None else colors.get(name)
        ax.plot(k, 100 * np.cumsum(r), "o-", ms=4, lw=1.8, color=color, label=name, zorder=3 - 0.1 * i)
    if threshold is not None:
        ax.axhline(100 * threshold, color="0.4", lw=0.8, ls=":")
        ax.text(len(r), 100 * threshold - 1, f"{100 * threshold:.0f} %", ha="right", va="top", fontsize=8,
                color="0.3")
    ax.set_xticks(np.arange(1, len(r) + 1))
    ax.set_ylim(top=101)
    ax.legend(loc="lower right")
    return finish(ax, "number of principal components", "variance explained, cumulative (%)",
                  "A few dimensions carry the activity")


def plot_pc_trajectories(ax: Axes, traj: np.ndarray, dims: tuple[int, int] = (0, 1), colors: Sequence | None = None,
                         marks: dict[str, int] | None = None, lw: float = 1.8, ls: str = "-",
                         alpha: float = 1.0, ends: bool = True) -> Axes:
    """Hidden-state trajectories (B, T+1, k) in two PCs: one line per target, in :func:`target_colors`.

    Black cross: the common start (step 0); filled dots: the end states; ``marks`` (label -> step)
    adds open markers at chosen steps (e.g. the step of peak hand speed).
    """
    colors = target_colors(len(traj)) if colors is None else colors
    i, j = dims
    for b, c in enumerate(colors):
        ax.plot(traj[b, :, i], traj[b, :, j], ls, color=c, lw=lw, alpha=alpha)
        if ends:
            ax.plot(traj[b, -1, i], traj[b, -1, j], "o", color=c, ms=6, mec="k", mew=0.6, zorder=5)
    for (label, step), marker in zip((marks or {}).items(), "^sDv"):
        ax.scatter(traj[:, step, i], traj[:, step, j], marker=marker, s=60, facecolors="white",
                   edgecolors=colors, linewidths=2.0, zorder=6, label=label)
    if ends:
        ax.plot(traj[0, 0, i], traj[0, 0, j], "x", color="k", ms=9, mew=2.2, zorder=7, label="start (step 0)")
    return ax


def plot_pc_trajectories_3d(ax, traj: np.ndarray, colors: Sequence | None = None, upto: int | None = None,
                            lw: float = 1.6) -> None:
    """Trajectories (B, T+1, >=3) in PC1-PC3 on a 3-D axes, up to step ``upto`` (all by default)."""
    colors = target_colors(len(traj)) if colors is None else colors
    n = traj.shape[1] if upto is None else upto + 1
    for b, c in enumerate(colors):
        ax.plot(traj[b, :n, 0], traj[b, :n, 1], traj[b, :n, 2], color=c, lw=lw)
        ax.plot([traj[b, n - 1, 0]], [traj[b, n - 1, 1]], [traj[b, n - 1, 2]], "o", color=c, ms=5, mec="k",
                mew=0.5)
    ax.plot([traj[0, 0, 0]], [traj[0, 0, 1]], [traj[0, 0, 2]], "x", color="k", ms=8, mew=2)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):  # few ticks: the 3-D view turns and shrinks them
        axis.set_major_locator(mpl.ticker.MaxNLocator(4))
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    ax.set_zlabel("PC3")


def animate_pc_trajectories(traj: np.ndarray, dt: float, frames: int = 34,
                            figsize: tuple[float, float] = (6.0, 4.8), turn_deg: float = 100.0,
                            colors: Sequence | None = None, title: str = ""):
    """A :class:`~matplotlib.animation.FuncAnimation` of the trajectories growing in PC1-PC3.

    Over ``frames`` frames the trajectories grow from step 0 to the last step (drawn in colour over
    the whole trajectories in faint grey) while the view turns by ``turn_deg`` degrees. Show it
    kernel-free with :func:`motorkit.publish.html.animation_html`. The figure is closed, so it is not
    also shown as a still.
    """
    from matplotlib.animation import FuncAnimation

    fig = plt.figure(figsize=figsize)
    ax = fig.add_subplot(projection="3d")
    fig.subplots_adjust(left=0.0, right=0.93, bottom=0.04, top=0.93)
    steps = np.linspace(0, traj.shape[1] - 1, frames).round().astype(int)
    lo, hi = traj[..., :3].min(axis=(0, 1)), traj[..., :3].max(axis=(0, 1))
    pad = 0.05 * (hi - lo)

    def draw(f: int):
        ax.clear()
        for path in traj[..., :3]:  # the whole trajectories, faint, so no frame is empty
            ax.plot(*path.T, color="0.75", lw=0.6, alpha=0.6)
        plot_pc_trajectories_3d(ax, traj, colors, upto=int(steps[f]))
        ax.set(xlim=(lo[0] - pad[0], hi[0] + pad[0]), ylim=(lo[1] - pad[1], hi[1] + pad[1]),
               zlim=(lo[2] - pad[2], hi[2] + pad[2]))
        ax.view_init(elev=22, azim=-60 + turn_deg * f / max(1, frames - 1))
        ax.set_title(f"{title}t = {1000 * steps[f] * dt:.0f} ms")
        return []

    anim = FuncAnimation(fig, draw, frames=frames, interval=150, blit=False)
    plt.close(fig)
    return anim


def plot_spread(ax: Axes, spread: np.ndarray, dt: float, marks: dict[str, int | tuple[int, int]],
                speed: np.ndarray | None = None) -> Axes:
    """Spread between target conditions (mean pairwise distance in PC space) against time (ms).

    ``marks`` (label -> step, or (first, last) step of a window whose mean is marked with a bar) are
    drawn as labelled points; ``speed`` (T+1,) the mean hand speed (m/s), shaded on a second axis.
    """
    t = 1000 * dt * np.arange(len(spread))
    if speed is not None:
        twin = ax.twinx()
        twin.fill_between(t, speed, color="0.87", zorder=0, label="hand speed (mean)")
        twin.set_ylabel("hand speed, mean over targets (m/s)", color="0.45")
        twin.tick_params(axis="y", colors="0.45")
        twin.spines["right"].set_visible(True)
        twin.grid(False)
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
    ax.plot(t, spread, color="k", lw=2, label="spread between targets")
    for (label, where), color in zip(marks.items(), ["C0", "C3", "C2", "C1"]):
        if isinstance(where, tuple):
            x, y = 1000 * dt * np.mean(where), float(spread[where[0]:where[1] + 1].mean())
            ax.plot(1000 * dt * np.array(where), [y, y], color=color, lw=4, solid_capstyle="butt", zorder=5)
        else:
            x, y = t[where], spread[where]
            ax.plot(x, y, "o", color=color, ms=8, zorder=5)
        right = x > 0.75 * t[-1]
        ax.annotate(label, (x, y), xytext=(-8 if right else 8, 10), textcoords="offset points", fontsize=8.5,
                    color=color, ha="right" if right else "left",
                    bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 1})
    return finish(ax, "time from target onset (ms)", "mean distance between targets (PC1-3)",
                  "Trajectories fan out, then converge")


def plot_occupancy(ax: Axes, occupancy: dict[str, np.ndarray], dt: float, colors: dict[str, str],
                   epochs: dict[str, tuple[int, int]]) -> Axes:
    """How much of the activity lies in each subspace over time: ``occupancy`` (label -> (T+1,) share of
    the variance across targets at each step), with the ``epochs`` (label -> (first, last) step) shaded
    and named, e.g. the delay and the movement whose activity defined each subspace."""
    t = 1000 * dt * np.arange(len(next(iter(occupancy.values()))))
    for (label, (first, last)), shade in zip(epochs.items(), ("0.9", "0.8", "0.7")):
        ax.axvspan(1000 * dt * first, 1000 * dt * last, color=shade, zorder=0, lw=0)
        ax.text(1000 * dt * (first + last) / 2, 0.02, label, ha="center", va="bottom", fontsize=9,
                transform=ax.get_xaxis_transform())
    for label, values in occupancy.items():
        ax.plot(t, values, color=colors[label], lw=2, label=label)
    ax.set_ylim(0, 1.05)
    ax.legend(loc="center right")
    return ax


def plot_end_states(ax: Axes, end: np.ndarray, angles_deg: np.ndarray) -> Axes:
    """End states (n, 2) in two PCs, coloured by their target's direction and joined in target order."""
    closed = np.vstack([end, end[:1]])
    ax.plot(closed[:, 0], closed[:, 1], color="0.6", lw=0.9, zorder=1)
    ax.scatter(end[:, 0], end[:, 1], c=[direction_color(a) for a in angles_deg], s=40, edgecolors="k",
               linewidths=0.5, zorder=2)
    for a, xy in zip(angles_deg, end):
        if a % 90 == 0:
            ax.annotate(f"{a:.0f}°", xy, xytext=(5, 4), textcoords="offset points", fontsize=8)
    return ax


def plot_rotation_plane(ax: Axes, proj: np.ndarray, dt: float, colors: Sequence | None = None) -> Axes:
    """Condition-centred trajectories (B, T, 2) in the plane of the fastest fitted rotation.

    Dots mark the start of each trajectory; arrowheads along it show the direction of travel.
    """
    colors = target_colors(len(proj)) if colors is None else colors
    n = proj.shape[1]
    for p, c in zip(proj, colors):
        ax.plot(p[:, 0], p[:, 1], color=c, lw=1.6)
        ax.plot(*p[0], "o", color=c, ms=6, mec="k", mew=0.6, zorder=5)
        for k in (n // 8, n // 4):
            ax.annotate("", xy=p[k + 1], xytext=p[k], arrowprops={"arrowstyle": "-|>,head_width=0.3",
                                                                  "color": c, "lw": 1.2})
    ax.set_aspect("equal", adjustable="datalim")
    return finish(ax, "rotation plane, axis 1", "rotation plane, axis 2",
                  f"Plane of fastest rotation, {1000 * dt * (n - 1):.0f} ms")


# --------------------------------------------------------------------------------------------------
# Interventions on the hidden state (chapter 6): pulses, ablations, transplants


def plot_paths_pair(ax: Axes, base, other, colors: Sequence | None = None, mark_step: int | None = None,
                    margin: float = 0.6, half: float | None = None) -> Axes:
    """Hand paths of ``other`` (coloured) over those of ``base`` (grey, dashed), same targets, in metres.

    ``mark_step`` marks where the hand was at that step (e.g. when a pulse was given). Targets: open
    circles. The square view spans the reach plus ``margin`` of it around the start, or ``half`` metres
    each side when given (e.g. to give several panels the same view).
    """
    colors = target_colors(len(other.target)) if colors is None else colors
    start, targets = base.hand[0, 0], base.target
    reach = float(np.linalg.norm(targets - start, axis=-1).max())
    for xy, c in zip(targets, colors):
        ax.add_patch(mpl.patches.Circle(xy, 0.08 * reach, fc="none", ec=c, lw=1.2, zorder=1))
    plot_hand_paths(ax, base.hand, colors=["0.55"] * len(targets), start=False, lw=1.0,
                    end_marker=None, ls="--")
    plot_hand_paths(ax, other.hand, colors=colors, lw=1.8)
    if mark_step is not None:
        ax.scatter(*other.hand[:, mark_step].T, marker="*", s=70, c="k", zorder=7)
    half = reach * (1 + margin) if half is None else half
    ax.set(xlim=(start[0] - half, start[0] + half), ylim=(start[1] - half, start[1] + half))
    ax.set_aspect("equal")
    return ax


def plot_pulse_panel(base, perturbed, step: int, title: str, deviation_ylim: float | None = None) -> Figure:
    """One pulse: hand paths against the unperturbed ones, and the hand's distance from them over time."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.2, 4.0), width_ratios=[1, 1.25], constrained_layout=True)
    plot_paths_pair(a1, base, perturbed, mark_step=step)
    finish(a1, "x (m)", "y (m)", "Hand paths (dashed: no pulse)")
    distance = 100 * np.linalg.norm(perturbed.hand - base.hand, axis=-1)
    t = 1000 * perturbed.dt * np.arange(distance.shape[1])
    for d, c in zip(distance, target_colors(len(distance))):
        a2.plot(t, d, color=c, lw=1.5)
    a2.axvline(1000 * perturbed.dt * step, color="k", lw=1, ls=":")
    a2.text(1000 * perturbed.dt * step, 0.97, " pulse", transform=a2.get_xaxis_transform(), va="top", fontsize=8.5)
    if deviation_ylim is not None:
        a2.set_ylim(0, deviation_ylim)
    finish(a2, "time (ms)", "distance from the unperturbed hand (cm)", "How far the pulse moved the hand")
    fig.suptitle(title)
    return fig


def plot_pulse_deviation(ax: Axes, deviation_cm: dict[str, dict[str, np.ndarray]], step_labels: Sequence[str]) -> Axes:
    """Grouped bars: hand deviation (cm) per pulse time (groups) and direction (bars).

    ``deviation_cm[direction][step_label]`` holds the deviations of every trial (and, for the random
    directions, every direction); bars show their mean, whiskers their 10th-90th percentiles.
    """
    names = list(deviation_cm)
    width = 0.8 / len(names)
    for n, name in enumerate(names):
        x = np.arange(len(step_labels)) + (n - (len(names) - 1) / 2) * width
        values = [np.asarray(deviation_cm[name][s]).ravel() for s in step_labels]
        mean = np.array([v.mean() for v in values])
        lo = mean - np.array([np.percentile(v, 10) for v in values])
        hi = np.array([np.percentile(v, 90) for v in values]) - mean
        ax.bar(x, mean, width * 0.92, color=direction_color(name), label=name, zorder=2)
        ax.errorbar(x, mean, yerr=[lo, hi], fmt="none", ecolor="0.2", lw=0.9, capsize=2, zorder=3)
    ax.set_xticks(np.arange(len(step_labels)), step_labels)
    ax.legend(ncol=len(names), loc="upper center", bbox_to_anchor=(0.5, -0.14))
    return ax


def plot_effect_bars(results: dict[str, dict[str, float]], measures: dict[str, str], colors: Sequence,
                     references: dict[str, tuple[float, str]] | None = None, title: str = "",
                     figsize: tuple[float, float] | None = None) -> Figure:
    """Horizontal bars: one panel per behavioural measure (``measures``: key -> axis label), one bar per
    intervention (``results``: name -> :func:`motorkit.interventions.behaviour`-style dict).

    ``references`` (key -> (value, label)) draws a dashed line in that measure's panel, e.g. the
    unperturbed reach.
    """
    names = list(results)
    figsize = (3.3 * len(measures), 0.38 * len(names) + 1.4) if figsize is None else figsize
    fig, axes = plt.subplots(1, len(measures), figsize=figsize, sharey=True, constrained_layout=True)
    for ax, (key, label) in zip(np.atleast_1d(axes), measures.items()):
        values = [results[n][key] for n in names]
        ax.barh(np.arange(len(names)), values, color=colors, zorder=2)
        if references and key in references:
            value, ref_label = references[key]
            ax.axvline(value, color="k", lw=1, ls="--", zorder=3)
            ax.text(value, len(names) - 0.4, f" {ref_label}", fontsize=7.5, va="bottom")
        ax.set_xlabel(label)
        ax.grid(axis="y", visible=False)
    first = np.atleast_1d(axes)[0]
    first.set_yticks(np.arange(len(names)), names)
    first.invert_yaxis()
    if title:
        fig.suptitle(title)
    return fig


def plot_transplant_sweep(ax: Axes, dims: Sequence[int], shift: Sequence[float], random: np.ndarray,
                          references: dict[str, tuple[float, str]], ylabel: str, title: str,
                          ylim: tuple[float, float] | None = None) -> Axes:
    """One measure of the transplant against the number of dimensions transplanted.

    ``shift``: along the shift's own top dimensions; ``random`` (dims, draws): along random subspaces
    (median line, min-max band); ``references``: label -> (value, colour), horizontal dashed lines
    labelled at the left. ``ylim`` clips the view (the random band can be very wide).
    """
    dims = np.asarray(dims)
    ax.plot(dims, shift, "o-", color="k", lw=2, label="along the adaptation shift's top dimensions", zorder=4)
    ax.fill_between(dims, random.min(axis=1), random.max(axis=1), color="0.85", zorder=1,
                    label="random subspaces (range)")
    ax.plot(dims, np.median(random, axis=1), "s--", color="0.5", ms=4, zorder=2, label="random subspaces (median)")
    for label, (value, color) in references.items():
        ax.axhline(value, color=color, lw=1.3, ls="--", zorder=3, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(dims, [str(d) for d in dims])
    ax.minorticks_off()
    if ylim is not None:
        ax.set_ylim(*ylim)
    return finish(ax, "dimensions transplanted", ylabel, title)


def plot_grouped_bars(ax: Axes, series: dict[str, Sequence[float]], groups: Sequence[str],
                      colors: Sequence | None = None, fmt: str | None = "{:.0f}") -> Axes:
    """Bars grouped by ``groups`` (x axis), one bar per entry of ``series`` (label -> one value per group).

    ``fmt`` writes each value above its bar (None: no labels).
    """
    width = 0.8 / len(series)
    for n, (label, values) in enumerate(series.items()):
        x = np.arange(len(groups)) + (n - (len(series) - 1) / 2) * width
        bars = ax.bar(x, values, width * 0.92, label=label, zorder=2,
                      color=None if colors is None else colors[n])
        if fmt:
            ax.bar_label(bars, [fmt.format(v) for v in values], fontsize=7.5, padding=1)
    ax.set_xticks(np.arange(len(groups)), groups, fontsize=8.5)
    ax.grid(axis="x", visible=False)
    ax.legend()
    return ax


def plot_pulse(base, perturbed, step: int, direction: str, size: float,
               deviation_ylim: float | None = None) -> Figure:
    """:func:`plot_pulse_panel` titled with the pulse: its ``size``, ``direction`` (a name) and time."""
    ms = 1000 * step * base.dt
    title = f"Pulse of size {size:g} along {direction} at {ms:.0f} ms"
    return plot_pulse_panel(base, perturbed, step, title, deviation_ylim=deviation_ylim)
