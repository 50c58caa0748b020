"""Figures of reaching with a trained policy (chapters 2 and 3): paths, speeds, muscles, fields, adaptation.

Functions take a batch-first :class:`motorkit.rollouts.Rollout` (trials, time, ...) of reaches to
the targets; paths and target circles use :func:`~motorkit.plots.colors.target_colors`, force
fields :data:`~motorkit.plots.colors.FIELD_COLORS`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from motorkit import effectors as fx
from motorkit.plots.bodies import draw_arm, draw_workspace, plot_hand_paths
from motorkit.plots.colors import FIELD_COLORS, FIELD_LABELS, direction_color, muscle_colors, target_colors
from motorkit.plots.style import finish


# --------------------------------------------------------------------------------------------------
# Reaches, speeds and muscle activations (chapter 2)


def draw_targets(ax: Axes, targets: np.ndarray, radius: float, colors: Sequence | None = None) -> None:
    """Open circles of ``radius`` m at ``targets`` (n, 2), in :func:`target_colors` by default."""
    colors = target_colors(len(targets)) if colors is None else colors
    for xy, c in zip(np.asarray(targets), colors):
        ax.add_patch(mpl.patches.Circle(xy, radius, fc="none", ec=c, lw=1.5, zorder=1))


def _reach_limits(ax: Axes, start: np.ndarray, targets: np.ndarray, margin: float = 0.4) -> None:
    """Square limits around the start and targets, ``margin`` of the reach beyond the farthest target."""
    reach = float(np.linalg.norm(targets - start, axis=-1).max())
    half = reach * (1 + margin)
    ax.set_xlim(start[0] - half, start[0] + half)
    ax.set_ylim(start[1] - half, start[1] + half)
    ax.set_aspect("equal")


def plot_reaches(
    ax: Axes,
    rollout,
    colors: Sequence | None = None,
    baseline=None,
    lw: float = 2.0,
    target_radius: float | None = None,
    margin: float = 0.4,
) -> Axes:
    """Hand paths of a :class:`~motorkit.rollouts.Rollout` to its targets, on axes in metres.

    Paths and target circles use :func:`target_colors`; ``baseline`` (another rollout to the same
    targets, e.g. the null-field reaches) is drawn underneath as thin grey lines. The axes span the
    reach plus ``margin`` of it on every side of the start.
    """
    start, targets = rollout.hand[0, 0], rollout.target
    reach = float(np.linalg.norm(targets - start, axis=-1).max())
    draw_targets(ax, targets, 0.06 * reach if target_radius is None else target_radius, colors)
    if baseline is not None:
        plot_hand_paths(ax, baseline.hand, colors=["0.6"] * len(baseline.target),
                        start=False, lw=1.0, end_marker=None, zorder=2)
    plot_hand_paths(ax, rollout.hand, colors=colors, lw=lw, zorder=3)
    _reach_limits(ax, start, targets, margin)
    return ax


def plot_training_trials(ax: Axes, starts: np.ndarray, targets: np.ndarray, effector,
                         region: np.ndarray | None = None) -> Axes:
    """A batch of training trials over the ``effector``'s workspace: a line from each start (dot) to its
    target; hold trials (target = start) as open circles. ``region`` (n, 2), if given, is the outline
    of where starts are drawn from, in metres."""
    draw_workspace(ax, effector)
    if region is not None:
        ax.fill(region[:, 0], region[:, 1], fc="#dde7f3", ec="#4a78b0", lw=1, zorder=1)
    starts, targets = np.asarray(starts), np.asarray(targets)
    hold = np.linalg.norm(targets - starts, axis=-1) == 0
    for s, g in zip(starts[~hold], targets[~hold]):
        ax.annotate("", g, s, arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 0.8, "shrinkA": 0,
                                          "shrinkB": 0, "mutation_scale": 7}, zorder=3)
    ax.plot(*starts[~hold].T, ".", color="k", ms=4, zorder=4)
    ax.plot(*starts[hold].T, "o", mfc="none", mec="#c03030", ms=6, zorder=4, label="hold trial")
    _fit_limits(ax, np.concatenate([starts, targets] + ([] if region is None else [region])))
    return ax


def _fit_limits(ax: Axes, points: np.ndarray, margin: float = 0.12) -> None:
    """Equal-aspect limits around ``points`` (n, 2), ``margin`` of their extent beyond them."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = margin * float((hi - lo).max())
    ax.set_xlim(lo[0] - pad, hi[0] + pad)
    ax.set_ylim(lo[1] - pad, hi[1] + pad)
    ax.set_aspect("equal")


def plot_workspace_reaches(ax: Axes, rollouts: Sequence, effector, postures: Sequence | None = None,
                           lw: float = 1.5) -> Axes:
    """Centre-out reaches from several starts on one workspace: each rollout's paths and targets, and,
    for the arm, the limb drawn faintly at each start posture (``postures``, radians, one per rollout)."""
    draw_workspace(ax, effector)
    for i, rollout in enumerate(rollouts):
        if postures is not None:
            draw_arm(ax, effector, postures[i], color="0.55", alpha=0.35, lw=2.5, zorder=1)
        reach = float(np.linalg.norm(rollout.target - rollout.hand[0, 0], axis=-1).max())
        draw_targets(ax, rollout.target, 0.08 * reach)
        plot_hand_paths(ax, rollout.hand, lw=lw, end_marker=None, zorder=3)
    points = [np.concatenate([r.hand.reshape(-1, 2), r.target]) for r in rollouts]
    _fit_limits(ax, np.concatenate(points + ([] if postures is None else [np.zeros((1, 2))])), 0.08)
    return ax


def plot_speed_profiles(ax: Axes, rollout, colors: Sequence | None = None, fits: bool = True,
                        until_s: float | None = None) -> Axes:
    """Hand speed (m/s) against time (ms), one line per target; dashed grey: the fitted minimum-jerk bells.

    The bells are the least-squares fits of :func:`motorkit.metrics.speed_profile`.
    """
    from motorkit.metrics import minimum_jerk_speed, speed_profile

    speed = np.linalg.norm(rollout.velocity, axis=-1)
    t = np.arange(speed.shape[1]) * rollout.dt
    colors = target_colors(len(speed)) if colors is None else colors
    for v, c in zip(speed, colors):
        ax.plot(1000 * t, v, color=c, lw=1.6)
    if fits:
        shape = speed_profile(rollout.velocity, rollout.dt)
        fine = np.linspace(0, t[-1], 501)
        for i in range(len(speed)):
            bell = minimum_jerk_speed(fine, shape["bell_onset_s"][i], shape["bell_duration_s"][i],
                                      shape["bell_distance_m"][i])
            ax.plot(1000 * fine, bell, color="0.2", lw=0.8, ls="--", label="minimum-jerk fit" if i == 0 else None)
        ax.legend(loc="upper right")
    if until_s is not None:
        ax.set_xlim(0, 1000 * until_s)
    ax.set_ylim(bottom=0)
    return ax


def mark_cue(ax: Axes, go_s: float, seen_s: float, reaction_s: Sequence[float] = (),
             colors: Sequence | None = None) -> Axes:
    """Mark a delayed reach's clock on a time axis (ms): the go cue (dotted), the moment the network sees
    it (dashed, one vision delay later) and each trial's reaction time after the cue (ticks at the top)."""
    ax.axvline(1000 * go_s, color="0.3", ls=":", lw=1.2, label="go cue")
    ax.axvline(1000 * seen_s, color="0.3", ls="--", lw=1.0, label="cue seen")
    colors = target_colors(len(reaction_s)) if colors is None else colors
    for rt, c in zip(reaction_s, colors):
        ax.plot(1000 * (go_s + rt), 1.0, marker="v", color=c, ms=6, transform=ax.get_xaxis_transform(), clip_on=False)
    return ax


def plot_hold(ax: Axes, rollout, colors: Sequence | None = None) -> Axes:
    """Distance of the hand from its start (cm) against time (ms), one line per trial: how still it holds."""
    away = 100 * np.linalg.norm(rollout.hand - rollout.hand[:, :1], axis=-1)
    t = 1000 * np.arange(away.shape[1]) * rollout.dt
    colors = target_colors(len(away)) if colors is None else colors
    for a, c in zip(away, colors):
        ax.plot(t, a, color=c, lw=1.2)
    ax.set_ylim(bottom=0)
    return ax


def plot_endpoint_clouds(ax: Axes, ends: np.ndarray, targets: np.ndarray, colors: Sequence | None = None) -> Axes:
    """Endpoints of repeated reaches (targets, repeats, 2) in cm from each target, one colour per target:
    the scatter that noise leaves, overlaid at a common origin."""
    colors = target_colors(len(ends)) if colors is None else colors
    for e, target, c in zip(ends, targets, colors):
        offset = 100 * (e - target)
        ax.plot(offset[:, 0], offset[:, 1], "o", color=c, ms=3, alpha=0.7)
    ax.plot(0, 0, "+", color="k", ms=12, mew=1.5)
    ax.set_aspect("equal", adjustable="datalim")
    return ax


#: Position of each of the 8 centre-out directions in a 3 x 3 grid of panels (row, column).
_COMPASS = [(1, 2), (0, 2), (0, 1), (0, 0), (1, 0), (2, 0), (2, 1), (2, 2)]


def plot_activations_by_target(rollout, effector, until_s: float | None = None,
                               figsize: tuple[float, float] = (9.5, 7.6)) -> Figure:
    """Muscle activations (0-1) against time (ms) for each of the 8 test targets, panels laid out like the targets.

    Each outer panel of a 3 x 3 grid sits in the direction of its target (right = 0 deg, counter-clockwise),
    its frame in the target's colour; the centre panel shows the hand paths. Muscles keep
    :func:`muscle_colors`.
    """
    if len(rollout.target) != 8:
        raise ValueError(f"plot_activations_by_target needs the 8 centre-out targets, got {len(rollout.target)}")
    fig, axes = plt.subplots(3, 3, figsize=figsize, constrained_layout=True)
    t = 1000 * np.arange(rollout.activation.shape[1]) * rollout.dt
    mcolors, labels = muscle_colors(effector), fx.muscle_labels(effector)
    top = float(rollout.activation.max()) * 1.08
    tcolors = target_colors(8)
    for i, (r, c) in enumerate(_COMPASS):
        ax = axes[r, c]
        for m, (mc, lab) in enumerate(zip(mcolors, labels)):
            ax.plot(t, rollout.activation[i, :, m], color=mc, lw=1.5, label=lab if i == 0 else None)
        ax.set_ylim(0, top)
        if until_s is not None:
            ax.set_xlim(0, 1000 * until_s)
        for spine in ax.spines.values():
            spine.set_color(tcolors[i])
            spine.set_linewidth(1.5)
        ax.set_title(f"target {45 * i}°", color=tcolors[i], fontsize=9.5)
        ax.set_xlabel("time (ms)" if r == 2 else "")
        ax.set_ylabel("activation (0-1)" if c == 0 else "")
    centre = axes[1, 1]
    plot_reaches(centre, rollout, lw=1.5)
    centre.set_xticks([])
    centre.set_yticks([])
    centre.set_title("hand paths", fontsize=9.5)
    fig.legend(*axes[1, 2].get_legend_handles_labels(), loc="outside lower center", ncol=len(labels))
    return fig


def plot_reach_detail(rollout, effector, index: int, others: bool = True, title: str = "") -> Figure:
    """One reach of ``rollout`` in three panels: its path (the others faint), its speed, its muscle activations.

    The figure of the reaching widgets (chapter 2); ``index`` picks the trial.
    """
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(9.5, 3.4), constrained_layout=True,
                                     width_ratios=[1, 1.1, 1.1])
    n = len(rollout.target)
    color = direction_color(np.degrees(np.arctan2(*(rollout.target[index] - rollout.hand[index, 0])[::-1])))
    faint = ["0.8"] * n
    colors = [color if i == index else faint[i] for i in range(n)] if others else None
    start, targets = rollout.hand[0, 0], rollout.target
    reach = float(np.linalg.norm(targets - start, axis=-1).max())
    draw_targets(a1, targets, 0.06 * reach, colors=colors)
    paths = rollout.hand
    order = [i for i in range(n) if i != index] + [index]
    for i in order:
        if others or i == index:
            plot_hand_paths(a1, paths[[i]], colors=[colors[i] if colors else color], lw=2.5 if i == index else 1.0,
                            end_marker="o" if i == index else None, start=i == index)
    _reach_limits(a1, start, targets)
    finish(a1, "x (m)", "y (m)", "hand path")
    t = 1000 * np.arange(rollout.hand.shape[1]) * rollout.dt
    speed = np.linalg.norm(rollout.velocity[index], axis=-1)
    a2.plot(t, speed, color=color, lw=2)
    a2.set_ylim(0, max(0.05, 1.1 * float(np.linalg.norm(rollout.velocity, axis=-1).max())))
    finish(a2, "time (ms)", "hand speed (m/s)", "speed")
    for m, (mc, lab) in enumerate(zip(muscle_colors(effector), fx.muscle_labels(effector))):
        a3.plot(t, rollout.activation[index, :, m], color=mc, lw=1.5, label=lab)
    a3.set_ylim(0, max(0.05, 1.1 * float(rollout.activation.max())))
    a3.legend(loc="upper right", fontsize=7.5, ncol=1 if effector.n_muscles <= 4 else 2)
    finish(a3, "time (ms)", "activation (0-1)", "muscle activations")
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------------------------------
# Force fields and adaptation (chapter 3)


def plot_curl_forces(ax: Axes, velocities: np.ndarray, forces: np.ndarray, color, force_scale: float = 0.05) -> Axes:
    """What a force field does in every direction: hand ``velocities`` (n, 2) m/s drawn from the origin
    in velocity space (target colours), and at each tip the field's ``forces`` (n, 2) N in ``color``.

    Force arrows are drawn ``force_scale`` m/s long per newton; compute the forces with
    :meth:`motorkit.fields.ForceField.force`.
    """
    velocities, forces = np.asarray(velocities), np.asarray(forces)
    for v, f, c in zip(velocities, forces, target_colors(len(velocities))):
        ax.annotate("", xy=v, xytext=(0, 0), arrowprops={"arrowstyle": "-|>", "color": c, "lw": 2})
        ax.annotate("", xy=v + force_scale * f, xytext=v, arrowprops={"arrowstyle": "-|>", "color": color, "lw": 2})
    speed = float(np.linalg.norm(velocities, axis=1).max())
    newtons = float(np.linalg.norm(forces, axis=1).max())
    ax.plot([], [], color="0.4", lw=2, label=f"hand velocity ({speed:g} m/s)")
    ax.plot([], [], color=color, lw=2, label=f"field force ({newtons:g} N)")
    lim = speed + force_scale * newtons + 0.1
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.02))
    return ax


#: The adaptation protocol's conditions, in order, with how figures name them.
CONDITION_LABELS: dict[str, str] = {
    "baseline": "null field (before)",
    "first_exposure": "first exposure",
    "adapted": "after learning",
    "aftereffect": "catch trial (after-effect)",
}


def plot_adaptation_paths(conditions: dict[str, dict[str, object]], baseline=None,
                          columns: Sequence[str] = ("first_exposure", "adapted", "aftereffect"),
                          figsize: tuple[float, float] = (9.5, 7.0), title: str = "", margin: float = 0.5
                          ) -> Figure:
    """Hand paths of the adaptation protocol: one row per field, one column per condition.

    ``conditions`` maps a field (``"cw"``, ``"ccw"``) to its rollouts by condition name (keys of
    :data:`CONDITION_LABELS`); ``baseline`` (the null-field reaches) is drawn faint grey in every panel.
    The axes span the reach plus ``margin`` of it around the start (perturbed paths stray far).
    """
    fields = list(conditions)
    fig, axes = plt.subplots(len(fields), len(columns), figsize=figsize, constrained_layout=True,
                             squeeze=False, sharex=True, sharey=True)
    for r, field in enumerate(fields):
        for c, name in enumerate(columns):
            ax = axes[r, c]
            plot_reaches(ax, conditions[field][name], baseline=baseline, lw=1.8, margin=margin)
            field_on = "field off" if name == "aftereffect" else f"{FIELD_LABELS[field]} on"
            ax.set_title(f"{FIELD_LABELS[field]}: {CONDITION_LABELS[name]}\n({field_on})", fontsize=9.5,
                         color=FIELD_COLORS[field])
            ax.set_xlabel("x (m)" if r == len(fields) - 1 else "")
            ax.set_ylabel("y (m)" if c == 0 else "")
    if title:
        fig.suptitle(title)
    return fig


def plot_condition_bars(ax: Axes, values: dict[str, dict[str, Sequence[float]]],
                        conditions: Sequence[str] = ("baseline", "first_exposure", "adapted", "aftereffect"),
                        colors: dict[str, object] | None = None) -> Axes:
    """Grouped bars: the mean of a per-target measure in each condition (groups) and field (bars).

    ``values`` maps a field to per-target values by condition; each target is a dot on its bar.
    """
    colors = FIELD_COLORS if colors is None else colors
    fields = list(values)
    width = 0.8 / len(fields)
    for j, field in enumerate(fields):
        for i, cond in enumerate(conditions):
            v = np.asarray(values[field][cond], dtype=float)
            x = i + (j - (len(fields) - 1) / 2) * width
            ax.bar(x, v.mean(), width * 0.9, color=colors.get(field, "k"), alpha=0.75,
                   label=FIELD_LABELS.get(field, field) if i == 0 else None)
            ax.plot(np.full(len(v), x), v, ".", color="k", ms=3.5, alpha=0.7)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xticks(range(len(conditions)), [CONDITION_LABELS[c].replace(" (", "\n(") for c in conditions],
                  fontsize=8.5)
    ax.legend()
    return ax


def plot_strength_sweep(ax: Axes, strengths: Sequence[float], lateral: dict[tuple[str, str], Sequence[float]],
                        learned: float | None = None) -> Axes:
    """Mean signed lateral deviation (cm) against field strength (N·s/m), one line per (network, field).

    ``lateral`` maps ``(network, field)`` (network ``"null"``: dashed, anything else: solid; field
    ``"cw"``/``"ccw"``: :data:`FIELD_COLORS`) to the deviation at each of ``strengths``; ``learned``
    marks the strength the adapted networks learned (dotted line).
    """
    for (net, field), values in lateral.items():
        ax.plot(strengths, values, "--" if net == "null" else "-", marker="o", ms=4, color=FIELD_COLORS[field],
                label=f"{FIELD_LABELS[field]}, {net} network")
    ax.axhline(0, color="0.3", lw=0.8)
    if learned is not None:
        ax.axvline(learned, color="0.5", lw=1, ls=":", label="learned strength")
    ax.legend(ncol=2, loc="upper left")
    return ax


def plot_field_exposure(rollouts: dict[str, object], field: str, strength: float, baseline=None,
                        figsize: tuple[float, float] = (9.0, 4.3)) -> Figure:
    """Side by side, the hand paths of several policies (``rollouts``: title -> rollout) in one field.

    The figure of the adaptation widget: e.g. the null-field policy and the adapted policy in a
    ``field`` of ``strength`` N·s/m; ``baseline`` (null-field reaches) is drawn faint grey.
    """
    fig, axes = plt.subplots(1, len(rollouts), figsize=figsize, constrained_layout=True, squeeze=False,
                             sharex=True, sharey=True)
    for ax, (name, rollout) in zip(axes[0], rollouts.items()):
        plot_reaches(ax, rollout, baseline=baseline, lw=1.8, margin=0.7)
        finish(ax, "x (m)", "y (m)" if ax is axes[0, 0] else "", name)
    where = "no field" if strength == 0 else f"{FIELD_LABELS[field]} field, k = {strength:g} N·s/m"
    fig.suptitle(where, color=FIELD_COLORS[field] if strength else "k")
    return fig


def plot_reach_toward(rollout, effector, index: int, body: str) -> Figure:
    """:func:`plot_reach_detail` of trial ``index``, titled with the body and the target's direction
    from the start (degrees, 0-360): the reaching widget of chapter 2."""
    offset = rollout.target[index] - rollout.hand[index, 0]
    angle = np.degrees(np.arctan2(offset[1], offset[0]))
    return plot_reach_detail(rollout, effector, index, title=f"{body.capitalize()}, target at {angle % 360:.0f}°")


def plot_exposure_pair(rollouts: dict[str, object], field: str, strength: float, learned: float,
                       baseline=None) -> Figure:
    """The null-field network (first exposure) beside the network adapted at ``learned`` N·s/m, both in a
    ``field`` of ``strength`` (``rollouts``: ``{"null": ..., "adapted": ...}``): chapter 3's widget."""
    titled = {"null-field network (first exposure)": rollouts["null"],
              f"adapted to {field.upper()}, k = {learned:g}": rollouts["adapted"]}
    return plot_field_exposure(titled, field, strength, baseline=baseline)
