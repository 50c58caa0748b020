"""Figures of the bodies (chapter 1): effector drawings, workspaces, muscle curves, moment arms, hand paths.

Distances are in metres on axes with equal scales. Open-loop runs are drawn from the book's one
batch-first record, :class:`motorkit.rollouts.Rollout` (made by
:func:`motorkit.effectors.simulate_constant`); nothing here simulates.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from motorkit import effectors as fx
from motorkit.rollouts import Rollout
from motorkit.plots.colors import ARM_MUSCLE_ROLES, muscle_colors, target_colors
from motorkit.plots.style import finish


# --------------------------------------------------------------------------------------------------
# Drawing the bodies


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
        anchors = fx.pointmass_anchors(effector)
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


# --------------------------------------------------------------------------------------------------
# Workspaces, hand paths, and a body held at a constant excitation (open-loop records)


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
    """Draw hand paths ``paths`` (batch, T, 2) in metres: one line per trial, a dot at each end.

    ``colors`` defaults to :func:`target_colors` of the batch size; the common start is a black cross.
    """
    paths = np.asarray(paths)
    n = paths.shape[0]
    colors = target_colors(n) if colors is None else colors
    for i in range(n):
        ax.plot(paths[i, :, 0], paths[i, :, 1], color=colors[i], lw=lw,
                label=None if labels is None else labels[i], **kwargs)
        if end_marker:
            ax.plot(*paths[i, -1], end_marker, color=colors[i], ms=5)
    if start:
        ax.plot(*paths[0, 0], "x", color="k", ms=8, mew=2, zorder=6)
    ax.set_aspect("equal")
    return ax


def plot_excitation_paths(
    ax: Axes,
    effector,
    rollout: Rollout,
    colors: Sequence | None = None,
    labels: Sequence[str] | None = None,
    limits: bool = True,
    final_postures: bool = True,
) -> Axes:
    """Draw the hand paths of an open-loop ``rollout`` of ``effector`` over its workspace.

    Draws the workspace, the arm at its start (grey) and, if ``final_postures``, its final postures
    (faint, path colour), and the paths.
    """
    n = len(rollout)
    colors = target_colors(n) if colors is None else colors
    draw_workspace(ax, effector)
    if fx.effector_name(effector) == "arm26":
        draw_arm(ax, effector, torch.as_tensor(rollout.joint[0, 0, :2]), color="0.45", lw=4, zorder=2)
        for i in range(n if final_postures else 0):
            draw_arm(ax, effector, torch.as_tensor(rollout.joint[i, -1, :2]), color=colors[i], alpha=0.3,
                     lw=2.5, zorder=2)
    plot_hand_paths(ax, rollout.hand, colors=colors, labels=labels, zorder=4)
    if limits:
        xlim, ylim = effector_limits(effector)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
    return ax


def plot_single_muscle_paths(
    effectors: Sequence,
    rollouts: Sequence[Rollout],
    levels: Sequence[float],
    figsize: tuple[float, float] = (9.5, 4.6),
) -> Figure:
    """One panel per effector: the hand paths of ``rollouts[i]``, each muscle excited alone at ``levels[i]``.

    ``rollouts`` come from :func:`motorkit.effectors.single_muscle_runs`. Paths are coloured by muscle
    (:func:`muscle_colors`) over fixed workspace limits, so panels for different levels can be
    compared (the chapter-1 figure and its slider widget both use this).
    """
    ratios = [1.0 if fx.effector_name(e) == "pointmass" else 1.3 for e in effectors]
    fig, axes = plt.subplots(1, len(effectors), figsize=figsize, constrained_layout=True,
                             width_ratios=ratios, squeeze=False)
    for ax, eff, run, level in zip(axes[0], effectors, rollouts, levels):
        plot_excitation_paths(ax, eff, run, colors=muscle_colors(eff), labels=fx.muscle_labels(eff))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8)
        ms = 1000 * run.time[-1]
        finish(ax, "x (m)", "y (m)", f"{effector_title(eff)}: one muscle at {level:g}, {ms:.0f} ms")
    return fig


def plot_excitation_response(effector, rollout: Rollout) -> Figure:
    """The hand path (black) of a one-trial open-loop ``rollout`` of ``effector``, over the workspace."""
    fig, ax = plt.subplots(figsize=(6, 4.5), constrained_layout=True)
    plot_excitation_paths(ax, effector, rollout, colors=["k"])
    finish(ax, "x (m)", "y (m)", f"{effector_title(effector)}: hand path over {1000 * rollout.time[-1]:.0f} ms")
    return fig


# --------------------------------------------------------------------------------------------------
# Muscles: force-length and force-velocity curves, moment arms


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
