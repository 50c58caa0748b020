"""The one colour table of the book's figures: targets and directions, muscles, bodies, fields, batch sizes.

The 8 centre-out targets (and anything tied to a direction in the plane) take :func:`target_colors`,
hues around the colour circle starting with red at 0 deg; each muscle keeps its :func:`muscle_colors`
colour in every figure; a force field, and a network trained in it, its :data:`FIELD_COLORS` colour;
a direction in hidden-state space its :data:`DIRECTION_COLORS` colour.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

import matplotlib as mpl
import numpy as np

from motorkit import effectors as fx

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

#: Colours of the force fields in every figure: null grey, clockwise red, counter-clockwise blue.
FIELD_COLORS: dict[str, str] = {"null": "0.35", "cw": "#d62728", "ccw": "#1f77b4"}
#: How figures name the fields.
FIELD_LABELS: dict[str, str] = {"null": "null field", "cw": "CW", "ccw": "CCW"}
#: Colours of the three arm networks (null-field, CW-adapted, CCW-adapted): those of their fields.
NETWORK_COLORS: dict[str, str] = FIELD_COLORS

#: Colours of the blocks of a savings protocol (chapter 8): washouts grey, first and second exposure red.
BLOCK_COLORS: dict[str, str] = {"NF1": "0.6", "FF1": "#f4a582", "NF2": "0.25", "FF2": "#b2182b"}
#: Colours of the interventions on learning (chapter 8), beside the blocks they change.
LEARNING_COLORS: dict[str, str] = {"shift removed": "#2166ac", "shift added": "#5aae61", "shift axis held": "#762a83",
                                   "random axis held": "0.55", "CCW alone": "#92c5de", "CCW after CW": "#1f77b4"}

#: Colours of the two effectors where both share a plot (training curves).
EFFECTOR_COLORS: dict[str, str] = {"pointmass": "#8c564b", "arm26": "#333333"}

#: Colours of the kinds of direction along which the hidden state is pushed or silenced.
DIRECTION_COLORS: dict[str, str] = {"PC1": "#1b9e77", "PC2": "#d95f02", "PC3": "#7570b3",
                                    "readout": "#e7298a", "random": "0.55"}


def _hue(turns: float) -> tuple[float, float, float]:
    """The colour ``turns`` of the way around the hue circle (0 = red), at the book's saturation and value."""
    return colorsys.hsv_to_rgb(turns % 1.0, 0.8, 0.85)


def target_colors(n: int = 8) -> list[tuple[float, float, float]]:
    """``n`` colours around the hue circle, target ``i`` at angle ``360 i / n`` deg (0 = rightward = red).

    Every chapter colours the centre-out targets (and anything tied to a direction) with these.
    """
    return [_hue(i / n) for i in range(n)]


def direction_color(direction: float | str) -> tuple[float, float, float] | str:
    """The colour of a direction: in the plane, or in hidden-state space.

    An angle in degrees (counter-clockwise from +x) gets its :func:`target_colors` hue. A label of a
    direction in hidden-state space gets the :data:`DIRECTION_COLORS` entry whose key starts it
    (e.g. "random 3" -> grey), dark grey when none does.
    """
    if isinstance(direction, str):
        for key, color in DIRECTION_COLORS.items():
            if direction.startswith(key):
                return color
        return "0.3"
    return _hue(direction / 360.0)


def muscle_colors(effector) -> list:
    """One colour per muscle, in motornet's muscle order.

    Arm: :data:`ARM_MUSCLE_COLORS`. Point mass: the colour of the direction the muscle pulls the mass
    from the origin (its anchor direction), matching :func:`target_colors`.
    """
    if fx.effector_name(effector) == "arm26":
        return [ARM_MUSCLE_COLORS[n] for n in effector.muscle_name]
    anchors = fx.pointmass_anchors(effector)
    return [direction_color(np.degrees(np.arctan2(a[1], a[0]))) for a in anchors]


def batch_size_colors(batch_sizes: Sequence[int]) -> dict[int, tuple]:
    """One colour per batch size, from light (small) to dark (large) along viridis, evenly in log size."""
    sizes = sorted(batch_sizes)
    cmap = mpl.colormaps["viridis"]
    if len(sizes) == 1:
        return {sizes[0]: cmap(0.4)}
    logs = np.log(sizes)
    return {b: cmap(0.85 - 0.85 * (lb - logs[0]) / (logs[-1] - logs[0])) for b, lb in zip(sizes, logs)}
