"""HTML for chapter outputs: compact tables and self-contained animations, alike in Jupyter and the book.

Tables carry inline styles and animations embed their frames and JavaScript, so both look the same in
a live notebook and in the offline book (nothing is loaded from the internet).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import matplotlib as mpl
import numpy as np

#: Inline styles of :func:`html_table` (inline, so tables look the same in Jupyter and in the book).
TABLE_STYLE = "border-collapse:collapse;font-size:0.85em;margin:0.4em 0 1em 0;"
CELL_STYLE = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap;"
HEAD_STYLE = "padding:2px 8px;border-bottom:2px solid #888;text-align:right;"


def html_table(header: Sequence[str], rows: Sequence[Sequence], fmt: str = "{:.4g}", caption: str = "",
               wrap: Sequence[int] = ()) -> str:
    """A compact HTML table (numbers formatted with ``fmt``) in a horizontally scrollable box.

    What notebooks show for tidy state tables: numbers right-aligned, text left-aligned, cells
    HTML-escaped, inline styles so it looks the same in Jupyter and in the book. Cells stay on one
    line, except in the columns listed in ``wrap`` (long text).
    """
    rows = [list(r) for r in rows]

    def is_number(v: object) -> bool:
        return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)

    def cell(v: object) -> str:
        return html.escape(fmt.format(v + 0.0) if is_number(v) else str(v))  # + 0.0: no "-0"

    def style(base: str, number: bool) -> str:
        return base if number else base.replace("text-align:right", "text-align:left")

    numeric = [all(is_number(r[j]) for r in rows) if rows else False for j in range(len(header))]
    head = "".join(f'<th style="{style(HEAD_STYLE, numeric[j])}">{html.escape(str(h))}</th>'
                   for j, h in enumerate(header))
    def cell_style(j: int, v: object) -> str:
        base = style(CELL_STYLE, is_number(v))
        return base.replace("white-space:nowrap", "white-space:normal;min-width:12em") if j in wrap else base

    body = "".join("<tr>" + "".join(f'<td style="{cell_style(j, v)}">{cell(v)}</td>'
                                    for j, v in enumerate(r)) + "</tr>" for r in rows)
    cap = (f'<caption style="caption-side:top;text-align:left;font-weight:600;">{html.escape(caption)}'
           "</caption>") if caption else ""
    table = (f'<table class="motorkit-table" style="{TABLE_STYLE}">{cap}<thead><tr>{head}</tr></thead>'
             f"<tbody>{body}</tbody></table>")
    return f'<div style="overflow-x:auto;max-width:100%;">{table}</div>'


def metric_rows(metrics: dict, measures: Sequence[tuple], prefixes: Sequence[str]) -> list[list]:
    """Table rows of measures side by side: ``[label, metrics[prefix + key] for each prefix]``.

    ``measures`` holds ``(label, key)`` or ``(label, key, fmt)`` (``fmt`` converts each value, e.g.
    ``int``; default ``float``): e.g. chapter 2's table of the point mass (``"pointmass_"``) beside the
    arm (``""``), read from the metrics the chapter writes.
    """
    rows = []
    for label, key, *fmt in measures:
        convert = fmt[0] if fmt else float
        rows.append([label, *(convert(metrics[prefix + key]) for prefix in prefixes)])
    return rows

def state_tables_html(tables: dict[str, dict], fmt: str = "{:.4g}") -> str:
    """HTML for :func:`motorkit.effectors.state_tables`: body states, then muscle and geometry states."""
    body = html_table(["group", "variable", "value", "unit"], tables["body"], fmt,
                      "Skeleton states (motornet's joint, cartesian and fingertip)")
    parts = [body]
    for key, title in (("muscle", "Muscle states (muscle.state_name)"),
                       ("geometry", "Geometry states (effector.geometry_state_name)")):
        t = tables[key]
        rows = [[name, unit, *vals] for name, unit, vals in t["rows"]]
        parts.append(html_table(["state", "unit", *t["columns"]], rows, fmt, title))
    return "".join(parts)


def animation_html(anim, fps: float = 8, dpi: int = 72, frame_format: str = "jpeg") -> str:
    """An animation as self-contained HTML (matplotlib's ``to_jshtml``): inline JavaScript, embedded frames.

    Nothing is loaded from the internet, so it plays in the offline book. JPEG frames at a modest
    ``dpi`` keep the page small (every frame is saved in the notebook). Display with
    ``IPython.display.HTML``.
    """
    with mpl.rc_context({"animation.frame_format": frame_format, "savefig.dpi": dpi}):
        text = anim.to_jshtml(fps=fps, default_mode="once")
    # matplotlib links Font Awesome 4 from a CDN for its button icons; the book's theme (and Jupyter)
    # ship Font Awesome themselves, which also knows these icon names, so drop the remote stylesheet.
    return re.sub(r"<link[^>]*font-awesome[^>]*>", "", text)
