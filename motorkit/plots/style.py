"""The book's look: matplotlib settings, axis labelling, log axes with plain numbers, mean-and-band lines.

Every figure module draws through these, so all chapters share one style.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes

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


def use_style() -> None:
    """Apply the book's matplotlib style (:data:`STYLE`). The backend is left untouched."""
    mpl.rcParams.update(STYLE)


def finish(ax: Axes, xlabel: str, ylabel: str, title: str) -> Axes:
    """Label an axes (units belong in the labels) and title it; returns ``ax``."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


def plain_log_ticks(axis, subs: Sequence[float] = (1.0, 2.0, 5.0), minor_marks: bool = False) -> None:
    """Label a log ``axis`` (``ax.xaxis``/``ax.yaxis``) with plain numbers (2, 5, 10, 1,000) at ``subs`` × 10^k.

    Call it after setting the log scale. Minor ticks are dropped; with ``minor_marks`` they stay as
    unlabelled marks (matplotlib would otherwise label some of them on a short axis).
    """
    axis.set_major_locator(ticker.LogLocator(base=10.0, subs=subs))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    if minor_marks:
        axis.set_minor_formatter(ticker.NullFormatter())
    else:
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
