"""Plots: one consistent look for every chapter's figures.

Conventions: distances in the effector's workspace are drawn in metres with equal axis scales; the
8 centre-out targets always use :func:`target_colors`; each muscle keeps its colour from
:func:`muscle_colors` in every figure. Functions draw onto a given ``Axes`` (or return a new
``Figure``) and never choose a matplotlib backend, so notebooks keep their inline figures.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from motorkit import effectors as fx

#: Matplotlib settings shared by all chapters (applied by :func:`use_style`).
STYLE: dict[str, object] = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "image.cmap": "viridis",
}

#: Colours of the arm's six muscles: flexors warm, extensors cool; shoulder, elbow, bi-articular.
ARM_MUSCLE_COLORS: dict[str, str] = {
    "pectoralis": "#d62728",
    "deltoid": "#1f77b4",
    "brachioradialis": "#ff7f0e",
    "tricepslat": "#17becf",
    "biceps": "#e377c2",
    "tricepslong": "#2c3e91",
}

#: Muscles of the arm by role, for schematic drawings and legends.
ARM_MUSCLE_ROLES: dict[str, str] = {
    "pectoralis": "shoulder flexor",
    "deltoid": "shoulder extensor",
    "brachioradialis": "elbow flexor",
    "tricepslat": "elbow extensor",
    "biceps": "bi-articular flexor",
    "tricepslong": "bi-articular extensor",
}


def use_style() -> None:
    """Apply the book's matplotlib style (:data:`STYLE`). The backend is left untouched."""
    mpl.rcParams.update(STYLE)


def target_colors(n: int = 8) -> list[tuple[float, float, float]]:
    """``n`` colours around the hue circle, target ``i`` at angle ``360 i / n`` deg (0 = rightward = red).

    Every chapter colours the centre-out targets (and anything tied to a direction) with these.
    """
    return [colorsys.hsv_to_rgb((i / n) % 1.0, 0.8, 0.85) for i in range(n)]


def direction_color(angle_deg: float) -> tuple[float, float, float]:
    """The :func:`target_colors` hue of a direction in degrees (counter-clockwise from +x)."""
    return colorsys.hsv_to_rgb((angle_deg / 360.0) % 1.0, 0.8, 0.85)


def muscle_colors(effector) -> list:
    """One colour per muscle, in motornet's muscle order.

    Arm: :data:`ARM_MUSCLE_COLORS`. Point mass: the colour of the direction the muscle pulls the mass
    from the origin (its anchor direction), matching :func:`target_colors`.
    """
    if fx.effector_name(effector) == "arm26":
        return [ARM_MUSCLE_COLORS[n] for n in effector.muscle_name]
    anchors = _pointmass_anchors(effector)
    return [direction_color(np.degrees(np.arctan2(a[1], a[0]))) for a in anchors]


def finish(ax: Axes, xlabel: str, ylabel: str, title: str) -> Axes:
    """Label an axes (units belong in the labels) and title it; returns ``ax``."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


def _pointmass_anchors(effector) -> np.ndarray:
    """World-fixed anchor points (n_muscles, 2) of the point mass's muscles, from motornet's muscle paths."""
    fixation = effector.path_fixation_body.reshape(-1).cpu().numpy()
    coords = effector.path_coordinates[0].cpu().numpy().T  # (n_points, 2)
    index = effector.muscle_index.cpu().numpy()
    return np.array([coords[(index == m + 1) & (fixation == 0)][0] for m in range(effector.n_muscles)])


def _segment_point(p0: np.ndarray, p1: np.ndarray, frac: float, offset: float) -> np.ndarray:
    """A point ``frac`` of the way along p0->p1, shifted ``offset`` m along its counter-clockwise normal."""
    d = p1 - p0
    u = d / np.linalg.norm(d)
    n = np.array([-u[1], u[0]])
    return p0 + frac * d + offset * n


def _smooth(path: np.ndarray, iterations: int = 3) -> np.ndarray:
    """Chaikin corner cutting: a smooth curve through a polyline's interior, keeping both end points."""
    for _ in range(iterations):
        q = 0.75 * path[:-1] + 0.25 * path[1:]
        r = 0.25 * path[:-1] + 0.75 * path[1:]
        mid = np.empty((2 * len(q), 2))
        mid[0::2], mid[1::2] = q, r
        path = np.vstack([path[:1], mid[1:-1], path[-1:]])
    return path


def arm_muscle_paths(points: np.ndarray) -> dict[str, np.ndarray]:
    """SCHEMATIC polylines of the six arm26 muscles for one posture (shoulder, elbow, hand ``points``, (3, 2)).

    motornet's arm26 has no muscle paths (its moment arms are polynomials of the joint angles), so these
    only show which joints each muscle crosses and on which side: flexors on the side towards which
    the joint angle grows (counter-clockwise), extensors on the other side.
    """
    s, e, h = points
    u1, u2 = (e - s) / np.linalg.norm(e - s), (h - e) / np.linalg.norm(h - e)
    n1, n2 = np.array([-u1[1], u1[0]]), np.array([-u2[1], u2[0]])
    inside = (n1 + n2) / max(np.linalg.norm(n1 + n2), 1e-9)  # flexor side of the elbow

    def up(frac: float, off: float) -> np.ndarray:  # a point on the upper arm
        return _segment_point(s, e, frac, off)

    def fore(frac: float, off: float) -> np.ndarray:  # a point on the forearm
        return _segment_point(e, h, frac, off)

    chest, back = np.array([-0.10, -0.04]), np.array([0.07, -0.04])
    paths = {
        "pectoralis": [chest, s + 0.03 * n1 - 0.01 * u1, up(0.35, 0.02)],
        "deltoid": [back, s - 0.03 * n1 - 0.01 * u1, up(0.35, -0.02)],
        "brachioradialis": [up(0.6, 0.022), e + 0.03 * inside, fore(0.5, 0.015)],
        "tricepslat": [up(0.5, -0.022), e - 0.025 * inside, fore(0.1, -0.018)],
        "biceps": [chest + [0.025, 0.0], s + 0.05 * n1 - 0.01 * u1, up(0.5, 0.04), e + 0.05 * inside,
                   fore(0.25, 0.012)],
        "tricepslong": [back + [-0.02, 0.0], s - 0.05 * n1 - 0.01 * u1, up(0.5, -0.04), e - 0.045 * inside,
                        fore(0.06, -0.03)],
    }
    return {k: _smooth(np.array(v)) for k, v in paths.items()}


def draw_arm(
    ax: Axes,
    effector,
    position: torch.Tensor | np.ndarray | None = None,
    color: str = "0.25",
    alpha: float = 1.0,
    lw: float = 5.0,
    zorder: int = 3,
) -> np.ndarray:
    """Draw the arm's two segments (shoulder, elbow, hand) at joint ``position`` (radians, default start).

    Returns the (3, 2) points drawn.
    """
    pos = fx.start_position(effector) if position is None else torch.as_tensor(position, dtype=torch.float32)
    pts = fx.segment_points(effector, pos.reshape(1, -1))[0]
    ax.plot(pts[:, 0], pts[:, 1], "-", color=color, lw=lw, alpha=alpha, solid_capstyle="round", zorder=zorder)
    ax.plot(pts[:2, 0], pts[:2, 1], "o", color="white", mec=color, ms=lw + 2, alpha=alpha, zorder=zorder + 1)
    return pts


def draw_joint_angles(ax: Axes, effector, position: torch.Tensor | np.ndarray | None = None) -> None:
    """Mark the arm's joint angles: shoulder from the +x axis, elbow from the upper arm's extension."""
    pos = fx.start_position(effector) if position is None else torch.as_tensor(position, dtype=torch.float32)
    q = np.degrees(pos.reshape(-1).cpu().numpy())
    s, e, _ = fx.segment_points(effector, pos.reshape(1, -1))[0]
    ext = e + 0.5 * (e - s)
    ref = s + np.array([0.14, 0.0])
    ax.plot([s[0], ref[0]], [s[1], ref[1]], ":", color="0.4", lw=1)
    ax.plot([e[0], ext[0]], [e[1], ext[1]], ":", color="0.4", lw=1)
    ax.add_patch(mpl.patches.Arc(s, 0.14, 0.14, theta1=0.0, theta2=q[0], color="0.2", lw=1.2))
    ax.add_patch(mpl.patches.Arc(e, 0.10, 0.10, theta1=q[0], theta2=q[0] + q[1], color="0.2", lw=1.2))
    ax.text(ref[0] + 0.005, ref[1], f"shoulder {q[0]:.0f}°\n(from +x)", ha="left", va="center", fontsize=8.5)
    ax.text(ext[0] + 0.005, ext[1], f"elbow {q[1]:.0f}°\n(from upper arm)", ha="left", va="center",
            fontsize=8.5)


def draw_effector(
    ax: Axes,
    effector,
    position: torch.Tensor | np.ndarray | None = None,
    muscles: bool = True,
    workspace: bool = True,
    legend: bool = True,
    rng: np.random.Generator | None = None,
) -> Axes:
    """Draw an effector's geometry: workspace, body at ``position`` and (optionally) its muscles.

    Point mass: the [-1, 1] m workspace, the mass, and the four muscles to their corner anchors (the
    paths motornet uses). Arm: the reachable workspace (joint space sampled within the limits, through
    motornet's kinematics), the two segments and a SCHEMATIC of its six lumped muscles
    (see :func:`arm_muscle_paths`).
    """
    name = fx.effector_name(effector)
    colors = muscle_colors(effector)
    labels = fx.muscle_labels(effector)
    if name == "pointmass":
        pos = np.zeros(2) if position is None else np.asarray(position, dtype=float).reshape(-1)[:2]
        lo = effector.pos_lower_bound.cpu().numpy()
        hi = effector.pos_upper_bound.cpu().numpy()
        if workspace:
            ax.add_patch(plt.Rectangle(lo, *(hi - lo), fc="0.93", ec="0.5", lw=1, zorder=0,
                                       label="workspace"))
        anchors = _pointmass_anchors(effector)
        if muscles:
            for a, c, lab in zip(anchors, colors, labels):
                ax.plot([a[0], pos[0]], [a[1], pos[1]], color=c, lw=2.5, label=lab, zorder=2)
            ax.plot(anchors[:, 0], anchors[:, 1], "s", color="0.3", ms=7, zorder=3)
        ax.plot(*pos, "o", color="k", ms=12, zorder=4, label="mass (1 kg)")
        lim = np.abs(anchors).max() * 1.15
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    else:
        pos = fx.start_position(effector) if position is None else torch.as_tensor(position, dtype=torch.float32)
        if workspace:
            pts = fx.workspace_points(effector, n=3000, rng=rng)
            ax.scatter(pts[:, 0], pts[:, 1], s=2, color="0.8", zorder=0, rasterized=True)
            outline = fx.workspace_outline(effector)
            ax.plot(outline[:, 0], outline[:, 1], color="0.55", lw=1, zorder=1, label="reachable workspace")
        ax.add_patch(plt.Rectangle((-0.32, -0.11), 0.40, 0.07, fc="0.85", ec="0.6", zorder=1))
        ax.text(-0.12, -0.075, "trunk", ha="center", va="center", fontsize=8, color="0.35", zorder=2)
        points = draw_arm(ax, effector, pos)
        if muscles:
            for (mname, path), c in zip(arm_muscle_paths(points).items(), colors):
                role = ARM_MUSCLE_ROLES[mname]
                ax.plot(path[:, 0], path[:, 1], "-", color=c, lw=2.5, zorder=5,
                        label=f"{fx.MUSCLE_LABELS[mname]} ({role})", solid_capstyle="round")
                ax.plot(*path[[0, -1]].T, "o", color=c, ms=3.5, zorder=5)
        ax.plot(*points[2], "o", color="k", ms=6, zorder=6)
    ax.set_aspect("equal")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_hand_paths(
    ax: Axes,
    paths: np.ndarray,
    colors: Sequence | None = None,
    labels: Sequence[str] | None = None,
    start: bool = True,
    lw: float = 2.0,
    end_marker: str | None = "o",
    **kwargs,
) -> Axes:
    """Draw hand paths ``paths`` (T, batch, 2) in metres: one line per batch element, a dot at each end.

    ``colors`` defaults to :func:`target_colors` of the batch size; the common start is a black cross.
    """
    paths = np.asarray(paths)
    n = paths.shape[1]
    colors = target_colors(n) if colors is None else colors
    for i in range(n):
        ax.plot(paths[:, i, 0], paths[:, i, 1], color=colors[i], lw=lw,
                label=None if labels is None else labels[i], **kwargs)
        if end_marker:
            ax.plot(*paths[-1, i], end_marker, color=colors[i], ms=5)
    if start:
        ax.plot(*paths[0, 0], "x", color="k", ms=8, mew=2, zorder=6)
    ax.set_aspect("equal")
    return ax


# --------------------------------------------------------------------------------------------------
# Reaching with a trained policy (chapters 2 and 3): paths, speeds, muscles, training and adaptation

#: Colours of the force fields in every figure: null grey, clockwise red, counter-clockwise blue.
FIELD_COLORS: dict[str, str] = {"null": "0.35", "cw": "#d62728", "ccw": "#1f77b4"}
#: How figures name the fields.
FIELD_LABELS: dict[str, str] = {"null": "null field", "cw": "CW", "ccw": "CCW"}
#: Colours of the two effectors where both share a plot (training curves).
EFFECTOR_COLORS: dict[str, str] = {"pointmass": "#8c564b", "arm26": "#333333"}


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
    start, targets = rollout.fingertip[0, 0], rollout.target
    reach = float(np.linalg.norm(targets - start, axis=-1).max())
    draw_targets(ax, targets, 0.06 * reach if target_radius is None else target_radius, colors)
    if baseline is not None:
        plot_hand_paths(ax, baseline.fingertip.transpose(1, 0, 2), colors=["0.6"] * len(baseline.target),
                        start=False, lw=1.0, end_marker=None, zorder=2)
    plot_hand_paths(ax, rollout.fingertip.transpose(1, 0, 2), colors=colors, lw=lw, zorder=3)
    _reach_limits(ax, start, targets, margin)
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


def running_mean(values: Sequence[float], window: int) -> np.ndarray:
    """Centred running mean over ``window`` points (shorter at the ends); ``window`` 1 returns the values."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) < 2:
        return values
    kernel = np.ones(min(window, len(values)))
    return np.convolve(values, kernel, "same") / np.convolve(np.ones_like(values), kernel, "same")


def _plain_log_axis(ax: Axes) -> None:
    """Log-scaled y axis with plain tick labels (0.02, 0.05, 0.1 rather than 2 x 10^-2)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(mpl.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(mpl.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())


def plot_loss_curves(ax: Axes, logs: dict[str, list[dict]], colors: dict[str, object] | None = None,
                     smooth: int = 25, key: str = "loss", log_scale: bool = True) -> Axes:
    """Training loss per batch of each run in ``logs`` (label -> training log): faint raw, bold running mean."""
    for n, (label, log) in enumerate(logs.items()):
        color = (colors or {}).get(label, f"C{n}")
        batches = np.array([r["batch"] for r in log])
        values = np.array([r[key] for r in log])
        ax.plot(batches, values, color=color, lw=0.6, alpha=0.35)
        ax.plot(batches, running_mean(values, smooth), color=color, lw=2, label=label)
    if log_scale:
        _plain_log_axis(ax)
    ax.legend()
    return ax


def plot_eval_curves(ax: Axes, logs: dict[str, list[dict]], key: str = "test_endpoint_error_cm",
                     colors: dict[str, object] | None = None, log_scale: bool = True) -> Axes:
    """A test-set metric logged during training (``key`` of the eval rows) against batches, per run."""
    for n, (label, log) in enumerate(logs.items()):
        rows = [r for r in log if key in r]
        color = (colors or {}).get(label, f"C{n}")
        ax.plot([r["batch"] for r in rows], [r[key] for r in rows], "o-", color=color, ms=3, lw=1.5, label=label)
    if log_scale:
        _plain_log_axis(ax)
    ax.legend()
    return ax


def plot_reach_detail(rollout, effector, index: int, others: bool = True, title: str = "") -> Figure:
    """One reach of ``rollout`` in three panels: its path (the others faint), its speed, its muscle activations.

    The figure of the reaching widgets (chapter 2); ``index`` picks the trial.
    """
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(9.5, 3.4), constrained_layout=True,
                                     width_ratios=[1, 1.1, 1.1])
    n = len(rollout.target)
    color = direction_color(np.degrees(np.arctan2(*(rollout.target[index] - rollout.fingertip[index, 0])[::-1])))
    faint = ["0.8"] * n
    colors = [color if i == index else faint[i] for i in range(n)] if others else None
    start, targets = rollout.fingertip[0, 0], rollout.target
    reach = float(np.linalg.norm(targets - start, axis=-1).max())
    draw_targets(a1, targets, 0.06 * reach, colors=colors)
    paths = rollout.fingertip.transpose(1, 0, 2)
    order = [i for i in range(n) if i != index] + [index]
    for i in order:
        if others or i == index:
            plot_hand_paths(a1, paths[:, [i]], colors=[colors[i] if colors else color], lw=2.5 if i == index else 1.0,
                            end_marker="o" if i == index else None, start=i == index)
    _reach_limits(a1, start, targets)
    finish(a1, "x (m)", "y (m)", "hand path")
    t = 1000 * np.arange(rollout.fingertip.shape[1]) * rollout.dt
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


def plot_curl_forces(ax: Axes, kind: str, strength: float, speed: float = 0.5, force_scale: float = 0.05) -> Axes:
    """What a curl field does in every direction: hand velocities (8 directions, target colours) in
    velocity space, and at each tip the force F = B v the field applies (field colour).

    Velocity arrows are in m/s on the axes; force arrows are drawn ``force_scale`` m/s long per newton,
    with a key. ``kind`` and ``strength`` are those of :class:`motorkit.fields.ForceField`.
    """
    from motorkit.fields import ForceField

    matrix = ForceField(kind, strength).matrix().numpy()
    angles = np.radians(np.arange(8) * 45.0)
    velocities = speed * np.c_[np.cos(angles), np.sin(angles)]
    forces = velocities @ matrix.T
    for v, f, c in zip(velocities, forces, target_colors(8)):
        ax.annotate("", xy=v, xytext=(0, 0), arrowprops={"arrowstyle": "-|>", "color": c, "lw": 2})
        ax.annotate("", xy=v + force_scale * f, xytext=v,
                    arrowprops={"arrowstyle": "-|>", "color": FIELD_COLORS[kind], "lw": 2})
    newtons = strength * speed
    ax.plot([], [], color="0.4", lw=2, label=f"hand velocity ({speed:g} m/s)")
    ax.plot([], [], color=FIELD_COLORS[kind], lw=2, label=f"field force ({newtons:g} N)")
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


def plot_muscle_curves(
    length_n: np.ndarray,
    force_length: dict[str, np.ndarray],
    velocity_n: np.ndarray,
    force_velocity: dict[str, np.ndarray],
    muscle: int = 0,
    muscle_label: str = "",
    shade_velocity: float | None = None,
    length_ranges: np.ndarray | None = None,
    range_colors: Sequence | None = None,
    range_labels: Sequence[str] | None = None,
) -> Figure:
    """Force-length (active, passive, total) and force-velocity panels of one muscle, forces over F_max.

    Inputs are the outputs of :func:`motorkit.effectors.muscle_force_length` and
    :func:`~motorkit.effectors.muscle_force_velocity`. ``shade_velocity`` (optimal lengths/s) shades the
    band of fibre velocities that the chapter's simulations reach; ``length_ranges`` (n_muscles, 2) draws
    each muscle's fibre-length range over the joint limits as a bar under the force-length curve.
    """
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
    act, pas = force_length["active"][:, muscle], force_length["passive"][:, muscle]
    a1.plot(length_n, act, color="C0", lw=2, label="active (force-length CE)")
    a1.plot(length_n, pas, color="C1", lw=2, label="passive (force-length PE)")
    a1.plot(length_n, act + pas, color="k", lw=1.2, ls="--", label="total at activation 1")
    a1.axvline(1.0, color="0.5", lw=0.8, ls=":")
    top = 1.6
    if length_ranges is not None:
        n = len(length_ranges)
        colors = range_colors if range_colors is not None else ["0.3"] * n
        for i, (lo, hi) in enumerate(length_ranges):
            y = top - 0.07 * (i + 1)
            a1.plot([lo, hi], [y, y], color=colors[i], lw=4, solid_capstyle="butt")
            if range_labels is not None:
                a1.text(hi + 0.02, y, range_labels[i], va="center", fontsize=7.5, color=colors[i])
        a1.text(length_n[0] + 0.02, top - 0.02, "fibre-length range over the joint limits:", fontsize=7.5,
                va="bottom", color="0.3")
    a1.set_ylim(-0.05, top + 0.05)
    a1.legend(loc="center left", bbox_to_anchor=(0.0, 0.45))
    finish(a1, "fibre length (optimal lengths, l / l0)", "force (x F_max)",
           f"Force-length, {muscle_label}, isometric")
    fv = force_velocity["active"][:, muscle]
    a2.plot(velocity_n, fv, color="C2", lw=2, label="active force at l = l0, activation 1")
    a2.axvline(0.0, color="0.5", lw=0.8, ls=":")
    a2.axhline(1.0, color="0.5", lw=0.8, ls=":")
    if shade_velocity is not None:
        a2.axvspan(-shade_velocity, shade_velocity, color="C2", alpha=0.2,
                   label="fibre velocities reached in this chapter")
        inset = a2.inset_axes([0.1, 0.4, 0.34, 0.34])
        zoom = 3 * shade_velocity
        keep = np.abs(velocity_n) <= zoom
        inset.plot(velocity_n[keep], fv[keep], color="C2", lw=2)
        inset.axvspan(-shade_velocity, shade_velocity, color="C2", alpha=0.2)
        inset.axhline(1.0, color="0.5", lw=0.8, ls=":")
        inset.set_xlim(-zoom, zoom)
        inset.set_title("zoom on the band", fontsize=8)
        inset.set_xlabel("velocity (l0 / s)", fontsize=7.5)
        inset.tick_params(labelsize=7)
    a2.set_ylim(-0.05, 1.45)
    a2.legend(loc="upper left")
    finish(a2, "fibre velocity (optimal lengths / s; < 0 shortening)", "force (x F_max)",
           f"Force-velocity, {muscle_label}")
    return fig


def plot_moment_arms(
    effector, shoulder_deg: np.ndarray, elbow_deg: np.ndarray, moments: np.ndarray
) -> Figure:
    """Moment arms (cm) of every muscle: at the shoulder vs shoulder angle, at the elbow vs elbow angle.

    ``moments`` is (n_shoulder, n_elbow, 2, n_muscles) from :func:`motorkit.effectors.moment_arms_grid`.
    Each curve is the mean over the other joint's angle; the shaded band is its min-max range over the
    other angle (invisible when the moment arm does not depend on it). Muscles that do not cross a joint
    (zero moment arm everywhere) are listed instead of drawn; bi-articular muscles are dashed so that
    they stay visible where they overlap a mono-articular one. Negative = flexes the joint.
    """
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.6), constrained_layout=True, sharey=True)
    colors, labels = muscle_colors(effector), fx.muscle_labels(effector)
    crosses = np.abs(moments).max(axis=(0, 1)) > 0  # (dof, n_muscles)
    for j, (ax, x, other) in enumerate(zip(axes, (shoulder_deg, elbow_deg), (1, 0))):
        r = moments[:, :, j, :] * 100  # cm
        for m in range(r.shape[-1]):
            if not crosses[j, m]:
                continue
            biarticular = crosses[:, m].all()
            curve = r[..., m].mean(axis=other)
            lo, hi = r[..., m].min(axis=other), r[..., m].max(axis=other)
            ax.fill_between(x, lo, hi, color=colors[m], alpha=0.2, lw=0)
            ax.plot(x, curve, color=colors[m], lw=2 if biarticular else 3.5, ls=(0, (4, 3)) if biarticular else "-",
                    label=labels[m] + (" (both joints)" if biarticular else ""))
        missing = [labels[m] for m in range(r.shape[-1]) if not crosses[j, m]]
        if missing:
            ax.text(0.02, 0.5, "not crossing this joint:\n" + ", ".join(missing), transform=ax.transAxes,
                    fontsize=8, color="0.35", va="center")
        ax.axhline(0, color="0.4", lw=0.8)
        ax.text(0.98, 0.98, "extends (angle shrinks)", transform=ax.transAxes, ha="right", va="top",
                fontsize=8, color="0.35")
        ax.text(0.98, 0.02, "flexes (angle grows)", transform=ax.transAxes, ha="right", va="bottom",
                fontsize=8, color="0.35")
    lo, hi = float(moments.min()) * 100, float(moments.max()) * 100
    axes[0].set_ylim(lo - 1.0, hi + 1.0)
    finish(axes[0], "shoulder angle (deg)", "moment arm (cm)", "Shoulder moment arms")
    finish(axes[1], "elbow angle (deg)", "", "Elbow moment arms")
    handles, names = [], []
    for ax in axes:
        for h, n in zip(*ax.get_legend_handles_labels()):
            if n not in names:
                handles.append(h)
                names.append(n)
    order = [names.index(lab) if lab in names else None for lab in labels]
    order += [names.index(lab + " (both joints)") for lab in labels if lab + " (both joints)" in names]
    order = [i for i in order if i is not None]
    fig.legend([handles[i] for i in order], [names[i] for i in order], loc="outside lower center", ncol=3)
    return fig


def effector_title(effector) -> str:
    """"Point mass" or "Arm": the short name figures use for a book effector."""
    return {"pointmass": "Point mass", "arm26": "Arm"}[fx.effector_name(effector)]


def effector_limits(effector, margin: float = 0.05) -> tuple[tuple[float, float], tuple[float, float]]:
    """Fixed axis limits (m) that hold the effector's whole workspace, so panels can be compared."""
    if fx.effector_name(effector) == "pointmass":
        lo = effector.pos_lower_bound.cpu().numpy() - margin
        hi = effector.pos_upper_bound.cpu().numpy() + margin
    else:
        outline = fx.workspace_outline(effector)
        lo, hi = outline.min(axis=0) - margin, outline.max(axis=0) + margin
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def draw_workspace(ax: Axes, effector) -> None:
    """Light outline of the workspace: the point mass's square, or the arm's reachable region and trunk."""
    if fx.effector_name(effector) == "pointmass":
        lo = effector.pos_lower_bound.cpu().numpy()
        hi = effector.pos_upper_bound.cpu().numpy()
        ax.add_patch(plt.Rectangle(lo, *(hi - lo), fc="0.96", ec="0.6", lw=1, zorder=0))
    else:
        outline = fx.workspace_outline(effector)
        ax.fill(outline[:, 0], outline[:, 1], fc="0.96", ec="0.6", lw=1, zorder=0)


def plot_excitation_paths(
    ax: Axes,
    effector,
    excitation: np.ndarray,
    duration: float,
    colors: Sequence | None = None,
    labels: Sequence[str] | None = None,
    limits: bool = True,
    final_postures: bool = True,
    **simulate_kwargs,
) -> fx.Rollout:
    """Simulate constant ``excitation`` (batch, n_muscles) for ``duration`` s and draw the hand paths.

    Draws the workspace, the arm at its start (grey) and, if ``final_postures``, its final postures
    (faint, path colour), and the paths; ``simulate_kwargs`` go to :func:`motorkit.effectors.simulate_constant` (e.g. ``endpoint_load``).
    Returns the rollout so callers can quote numbers from it.
    """
    rollout = fx.simulate_constant(effector, excitation, duration, **simulate_kwargs)
    n = rollout.hand.shape[1]
    colors = target_colors(n) if colors is None else colors
    draw_workspace(ax, effector)
    if fx.effector_name(effector) == "arm26":
        draw_arm(ax, effector, torch.as_tensor(rollout.joint[0, 0, :2]), color="0.45", lw=4, zorder=2)
        for i in range(n if final_postures else 0):
            draw_arm(ax, effector, torch.as_tensor(rollout.joint[-1, i, :2]), color=colors[i], alpha=0.3,
                     lw=2.5, zorder=2)
    plot_hand_paths(ax, rollout.hand, colors=colors, labels=labels, zorder=4)
    if limits:
        xlim, ylim = effector_limits(effector)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
    return rollout


def plot_single_muscle_paths(
    effectors: Sequence,
    levels: Sequence[float],
    duration: float,
    figsize: tuple[float, float] = (9.5, 4.6),
) -> Figure:
    """One panel per effector: the hand path when each muscle alone gets excitation ``levels[i]``.

    Paths are coloured by muscle (:func:`muscle_colors`) over fixed workspace limits, so panels for
    different levels can be compared (the chapter-1 figure and its slider widget both use this).
    """
    ratios = [1.0 if fx.effector_name(e) == "pointmass" else 1.3 for e in effectors]
    fig, axes = plt.subplots(1, len(effectors), figsize=figsize, constrained_layout=True,
                             width_ratios=ratios, squeeze=False)
    for ax, eff, level in zip(axes[0], effectors, levels):
        plot_excitation_paths(ax, eff, fx.single_muscle_excitations(eff, level), duration,
                              colors=muscle_colors(eff), labels=fx.muscle_labels(eff))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8)
        finish(ax, "x (m)", "y (m)", f"{effector_title(eff)}: one muscle at {level:g}, {1000 * duration:.0f} ms")
    return fig


def plot_excitation_response(effector, excitation: Sequence[float], duration: float) -> Figure:
    """The hand path (black) for one excitation vector held for ``duration`` s, over the workspace."""
    fig, ax = plt.subplots(figsize=(6, 4.5), constrained_layout=True)
    plot_excitation_paths(ax, effector, np.asarray(excitation, dtype=np.float32)[None], duration, colors=["k"])
    finish(ax, "x (m)", "y (m)", f"{effector_title(effector)}: hand path over {1000 * duration:.0f} ms")
    return fig


# --------------------------------------------------------------------------------------------------
# Hidden states (chapters 5 and 6): trajectories in principal-component space, and interventions

#: Colours of the kinds of direction along which the hidden state is pushed or silenced.
DIRECTION_COLORS: dict[str, str] = {"PC1": "#1b9e77", "PC2": "#d95f02", "PC3": "#7570b3",
                                    "readout": "#e7298a", "random": "0.55"}


def _direction_color(label: str) -> str:
    """The :data:`DIRECTION_COLORS` entry whose key starts ``label`` (e.g. "random 3" -> grey)."""
    for key, color in DIRECTION_COLORS.items():
        if label.startswith(key):
            return color
    return "0.3"


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
                  f"Plane of fastest rotation, first {1000 * dt * (n - 1):.0f} ms")


def plot_paths_pair(ax: Axes, base, other, colors: Sequence | None = None, mark_step: int | None = None,
                    margin: float = 0.6, half: float | None = None) -> Axes:
    """Hand paths of ``other`` (coloured) over those of ``base`` (grey, dashed), same targets, in metres.

    ``mark_step`` marks where the hand was at that step (e.g. when a pulse was given). Targets: open
    circles. The square view spans the reach plus ``margin`` of it around the start, or ``half`` metres
    each side when given (e.g. to give several panels the same view).
    """
    colors = target_colors(len(other.target)) if colors is None else colors
    start, targets = base.fingertip[0, 0], base.target
    reach = float(np.linalg.norm(targets - start, axis=-1).max())
    for xy, c in zip(targets, colors):
        ax.add_patch(mpl.patches.Circle(xy, 0.08 * reach, fc="none", ec=c, lw=1.2, zorder=1))
    plot_hand_paths(ax, base.fingertip.transpose(1, 0, 2), colors=["0.55"] * len(targets), start=False, lw=1.0,
                    end_marker=None, ls="--")
    plot_hand_paths(ax, other.fingertip.transpose(1, 0, 2), colors=colors, lw=1.8)
    if mark_step is not None:
        ax.scatter(*other.fingertip[:, mark_step].T, marker="*", s=70, c="k", zorder=7)
    half = reach * (1 + margin) if half is None else half
    ax.set(xlim=(start[0] - half, start[0] + half), ylim=(start[1] - half, start[1] + half))
    ax.set_aspect("equal")
    return ax


def plot_pulse_panel(base, perturbed, step: int, title: str, deviation_ylim: float | None = None) -> Figure:
    """One pulse: hand paths against the unperturbed ones, and the hand's distance from them over time."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.2, 4.0), width_ratios=[1, 1.25], constrained_layout=True)
    plot_paths_pair(a1, base, perturbed, mark_step=step)
    finish(a1, "x (m)", "y (m)", "Hand paths (dashed: no pulse)")
    distance = 100 * np.linalg.norm(perturbed.fingertip - base.fingertip, axis=-1)
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
        ax.bar(x, mean, width * 0.92, color=_direction_color(name), label=name, zorder=2)
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


#: Colours of the three arm networks (null-field, CW-adapted, CCW-adapted), as the fields' colours.
NETWORK_COLORS: dict[str, str] = {"null": "0.35", "cw": "#d62728", "ccw": "#1f77b4"}


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


# (end of the Hidden states section)


# ==================================================================================================
# Loss analysis (chapter 4): adaptation loss curves over seeds and the batch-size study.
# ==================================================================================================

#: Colours of the two curl fields in the loss-analysis figures (CW warm, CCW cool, as in chapter 1).
FIELD_COLORS: dict[str, str] = {"cw": "C3", "ccw": "C0"}


def batch_size_colors(batch_sizes: Sequence[int]) -> dict[int, tuple]:
    """One colour per batch size, from light (small) to dark (large) along viridis, evenly in log size."""
    sizes = sorted(batch_sizes)
    cmap = mpl.colormaps["viridis"]
    if len(sizes) == 1:
        return {sizes[0]: cmap(0.4)}
    logs = np.log(sizes)
    return {b: cmap(0.85 - 0.85 * (lb - logs[0]) / (logs[-1] - logs[0])) for b, lb in zip(sizes, logs)}


def plain_log_ticks(axis, subs: Sequence[float] = (1.0, 2.0, 5.0)) -> None:
    """Label a log ``axis`` (``ax.xaxis``/``ax.yaxis``) with plain numbers (2, 5, 10, 1,000) at ``subs`` × 10^k."""
    from matplotlib import ticker

    axis.set_major_locator(ticker.LogLocator(base=10.0, subs=subs))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_locator(ticker.NullLocator())


def plot_band(ax: Axes, x: np.ndarray, values: np.ndarray, color, label: str | None = None, alpha: float = 1.0,
              lw: float = 2.0, band: str = "sd", **kwargs) -> None:
    """Mean over the rows of ``values`` (seeds, points) as a line, with a band: mean ± sd, or min-max."""
    values = np.atleast_2d(values)
    mean = values.mean(axis=0)
    if band == "sd":
        sd = values.std(axis=0, ddof=1) if values.shape[0] > 1 else np.zeros_like(mean)
        lo, hi = mean - sd, mean + sd
    elif band == "minmax":
        lo, hi = values.min(axis=0), values.max(axis=0)
    else:
        raise ValueError(f"band must be 'sd' or 'minmax', not {band!r}")
    ax.fill_between(x, lo, hi, color=color, alpha=0.22 * alpha, lw=0)
    ax.plot(x, mean, color=color, lw=lw, alpha=alpha, label=label, **kwargs)


def plot_field_loss_curves(curves: dict[str, np.ndarray], window: int, strength: float,
                           ylabel: str = "training loss: hand-target distance (cm)",
                           figsize: tuple[float, float] = (9.5, 4.0)) -> Figure:
    """One panel per curl field: each seed's per-batch training loss (faint) and its moving average.

    ``curves`` maps a field (``"cw"``, ``"ccw"``) to an array (seeds, batches) of losses per batch.
    The thick line is the mean over seeds of the ``window``-batch trailing average (drawn at the
    window's last batch), the band ± 1 sd over seeds; the dashed line is the mean loss of batch 1,
    before any update (first exposure). Log y axis, shared by the panels.
    """
    from motorkit.sweeps import moving_average

    fig, axes = plt.subplots(1, len(curves), figsize=figsize, constrained_layout=True, sharey=True, squeeze=False)
    for ax, (field, losses) in zip(axes[0], curves.items()):
        color = FIELD_COLORS.get(field, "k")
        batches = np.arange(1, losses.shape[1] + 1)
        for i, seed_loss in enumerate(losses):
            ax.plot(batches, seed_loss, color=color, lw=0.6, alpha=0.3,
                    label="each seed, per batch" if i == 0 else None)
        smooth = np.array([moving_average(s, window) for s in losses])
        plot_band(ax, batches[window - 1:], smooth, color, label=f"mean of {losses.shape[0]} seeds, "
                  f"{window}-batch average (± 1 sd)")
        ax.axhline(losses[:, 0].mean(), color="0.3", lw=1, ls="--", label="batch 1 (first exposure)")
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis, subs=(1.0, 2.0, 3.0, 5.0))
        ax.legend(loc="upper right")
        finish(ax, "batches of learning in the field", ylabel if ax is axes[0, 0] else "",
               f"{field.upper()} field, k = {strength:g} N·s/m")
    return fig


def plot_batch_size_study(curves: dict, level: float | None = None,
                          ylabel: str = "test-set loss: hand-target distance (cm)",
                          highlight: int | None = None, figsize: tuple[float, float] = (9.8, 4.0)) -> Figure:
    """The batch-size study in three panels: test-set loss against batches, samples seen and training time.

    ``curves`` maps batch size -> :class:`motorkit.sweeps.SeedCurves` (point 0 = before training).
    Lines are means over seeds, bands ± 1 sd; ``level`` (cm) is drawn as a dotted line. Samples and
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
    """Left: seconds per batch against batch size (dots: seeds) beside proportional growth.

    Right: what reaching the same test-set loss ``level`` costs each batch size, in batches, samples
    and training seconds, relative to the smallest batch size (``costs`` maps a currency to one value
    per batch size).
    """
    sizes = np.asarray(batch_sizes, dtype=float)
    spb = np.atleast_2d(np.asarray(seconds_per_batch, dtype=float))  # (batch sizes, seeds)
    colors = batch_size_colors(batch_sizes)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=figsize, constrained_layout=True)
    mean = spb.mean(axis=1)
    a1.plot(sizes, mean, "-", color="0.3", lw=1.5, zorder=1, label="measured (mean over seeds)")
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
