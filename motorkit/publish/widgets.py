"""Widgets that work twice: live in a Jupyter kernel, and kernel-free in the published book.

A static HTML page keeps a widget's saved state but cannot run Python callbacks. So every chapter
widget comes in two forms, chosen by :func:`live_or_static`:

* **live** (a kernel is attached): :func:`live_sliders` recomputes the figure on every slider move;
* **static** (headless papermill execution for the book): :func:`precomputed_panels` renders a figure
  for each of a few slider values up front, stores each as a PNG in a ``widgets.Image`` inside a
  ``widgets.Stack``, and links the slider to the stack *in the browser* with ``widgets.jslink``.

Chapters make their widget with ONE call, :func:`explorer`: the controls (name -> :class:`Control`,
the values it offers and how they read) and a render function; it returns the precomputed panels in a
build and the live widget in a kernel. Chapter 1 uses it for muscle activations; later chapters for
reaching, adaptation, interventions, generalization and savings.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

#: Processes whose kernels run headless (no one is there to move a slider).
HEADLESS_RUNNERS: tuple[str, ...] = ("papermill", "nbclient", "nbconvert", "jupyter-book", "jb build",
                                     "sphinx", "pytest", "motorkit.publish")
#: Processes that host an interactive frontend.
LIVE_FRONTENDS: tuple[str, ...] = ("jupyter-lab", "jupyter-notebook", "jupyter-server", "jupyter_server",
                                   "voila", "vscode", "code-server", "colab")

Mode = Literal["live", "static"]

#: Width of a live slider: with its label and readout inside, the track keeps a few hundred pixels
#: (the default 300 px left chapter 6's slider a 30 px track), and it shrinks with a narrow page.
SLIDER_WIDTH = "min(600px, 100%)"


def description_width(labels: Sequence[str], px_per_char: float = 7.5, bounds: tuple[int, int] = (80, 240)) -> str:
    """One label width for a group of controls, from their longest label: their tracks then line up."""
    longest = max((len(label) for label in labels), default=0)
    return f"{int(min(max(longest * px_per_char + 10, bounds[0]), bounds[1]))}px"


def figure_to_png(fig: Figure, dpi: int = 72, colors: int | None = 128) -> bytes:
    """Render ``fig`` to PNG bytes at ``dpi`` and close it (so it is not also shown inline).

    ``colors`` quantises the image to a palette of that many colours (about 3x smaller for line art,
    which matters because every panel is saved in the notebook); ``None`` keeps full colour.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    if colors is None:
        return buf.getvalue()
    from PIL import Image

    buf.seek(0)
    image = Image.open(buf).convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    return out.getvalue()


def precomputed_panels(
    values: Sequence,
    render: Callable[[object], Figure],
    label: str,
    fmt: Callable[[object], str] = str,
    dpi: int = 72,
    start: int = 0,
) -> widgets.VBox:
    """A kernel-free slider over ``values``: one PNG panel per value, switched in the browser.

    ``render(value)`` draws the figure for one value. The slider's index is ``jslink``-ed to the
    stack's ``selected_index``, so the panels change without Python (in the published book); the link
    is kept on the returned box as ``box.link``, the stack as ``box.stack``. ``fmt`` formats slider
    labels. Keep ``values`` short (about 15 at most): every panel is saved in the notebook.
    """
    values = list(values)
    if not values:
        raise ValueError("precomputed_panels needs at least one value")
    images = [widgets.Image(value=figure_to_png(render(v), dpi=dpi), format="png",
                            layout=widgets.Layout(max_width="100%", height="auto")) for v in values]
    stack = widgets.Stack(children=images, selected_index=start)
    slider = widgets.SelectionSlider(options=[fmt(v) for v in values], index=start, description=label,
                                     continuous_update=True, style={"description_width": "initial"},
                                     layout=widgets.Layout(width="min(600px, 100%)"))
    link = widgets.jslink((slider, "index"), (stack, "selected_index"))
    box = widgets.VBox([slider, stack])
    box.link, box.stack, box.slider = link, stack, slider
    return box


def precomputed_grid(
    rows: Sequence,
    columns: Sequence,
    render: Callable[[object, object], Figure],
    row_label: str,
    column_label: str,
    row_fmt: Callable[[object], str] = str,
    column_fmt: Callable[[object], str] = str,
    dpi: int = 72,
    start: tuple[int, int] = (0, 0),
) -> widgets.VBox:
    """Two kernel-free controls over a grid of precomputed panels: buttons pick the row, a slider the column.

    ``render(row, column)`` draws the figure of one cell. Each row is a ``Stack`` of its column panels,
    and the rows sit in an outer ``Stack``: the buttons' index is ``jslink``-ed to the outer stack and
    the slider's index to every row's stack, so both controls work in the browser without Python.
    The returned box keeps ``box.buttons``, ``box.slider``, ``box.stack`` (outer) and ``box.links``.
    Every panel is saved in the notebook: keep ``len(rows) * len(columns)`` to about 16 at most.
    """
    rows, columns = list(rows), list(columns)
    if not rows or not columns:
        raise ValueError("precomputed_grid needs at least one row and one column")
    inner = [widgets.Stack(children=[widgets.Image(value=figure_to_png(render(r, c), dpi=dpi), format="png",
                                                   layout=widgets.Layout(max_width="100%", height="auto"))
                                     for c in columns], selected_index=start[1]) for r in rows]
    stack = widgets.Stack(children=inner, selected_index=start[0])
    buttons = widgets.ToggleButtons(options=[row_fmt(r) for r in rows], index=start[0], description=row_label,
                                    style={"description_width": "initial", "button_width": "auto"})
    slider = widgets.SelectionSlider(options=[column_fmt(c) for c in columns], index=start[1],
                                     description=column_label, continuous_update=True,
                                     style={"description_width": "initial"},
                                     layout=widgets.Layout(width="min(600px, 100%)"))
    links = [widgets.jslink((buttons, "index"), (stack, "selected_index"))]
    links += [widgets.jslink((slider, "index"), (s, "selected_index")) for s in inner]
    box = widgets.VBox([buttons, slider, stack])
    box.buttons, box.slider, box.stack, box.links = buttons, slider, stack, links
    return box


def live_sliders(render: Callable[..., Figure], controls: dict[str, widgets.Widget]) -> widgets.interactive:
    """``ipywidgets.interactive`` over ``controls``: calls ``render(**values)`` and shows the figure.

    Needs a running kernel: every slider move recomputes. Display the result (or end the cell with ``;``).
    """
    def show(**kwargs: object) -> None:
        fig = render(**kwargs)
        plt.show()  # the inline backend displays (and closes) the current figure in the widget's output
        plt.close(fig)

    return widgets.interactive(show, **controls)


def float_sliders(
    names: Sequence[str],
    labels: Sequence[str] | None = None,
    min_value: float = 0.0,
    max_value: float = 1.0,
    step: float | None = None,
    value: float | Sequence[float] = 0.0,
) -> dict[str, widgets.FloatSlider]:
    """One ``FloatSlider`` per name (e.g. one per muscle), keyed by name, described by ``labels``.

    The sliders are :data:`SLIDER_WIDTH` wide, with one label width (:func:`description_width`), so
    the tracks line up and are long enough to use with a mouse. Pass the result to :func:`live_sliders`.
    """
    labels = list(names) if labels is None else list(labels)
    values = [value] * len(names) if isinstance(value, (int, float)) else list(value)
    step = (max_value - min_value) / 100 if step is None else step
    style = {"description_width": description_width(labels)}
    return {
        n: widgets.FloatSlider(value=v, min=min_value, max=max_value, step=step, description=lab,
                               continuous_update=False, readout_format=".3f", style=style,
                               layout=widgets.Layout(width=SLIDER_WIDTH))
        for n, lab, v in zip(names, labels, values)
    }


def _ancestor_cmdlines(max_depth: int = 8) -> list[str]:
    """Command lines of this process, its parent, grandparent, ... (Linux /proc; empty elsewhere)."""
    lines: list[str] = []
    pid = os.getpid()
    for _ in range(max_depth):
        proc = Path(f"/proc/{pid}")
        try:
            lines.append(proc.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            stat = proc.joinpath("stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        if pid <= 1:
            break
    return lines


def widget_mode() -> Mode:
    """``"static"`` when the notebook runs headless (book build), else ``"live"``.

    Order: the ``MOTORKIT_WIDGETS`` environment variable (``live``/``static``) wins; a set
    ``MOTORKIT_BUILD_DIR`` means a build, so static; otherwise the nearest of this process and its
    ancestors that is recognised decides (papermill, nbclient, nbconvert, jupyter-book, sphinx or pytest:
    static; a Jupyter server or editor: live). Unknown: live. Static widgets also work live, so erring
    towards static is safe.
    """
    forced = os.environ.get("MOTORKIT_WIDGETS", "").strip().lower()
    if forced in ("live", "static"):
        return forced  # type: ignore[return-value]
    if os.environ.get("MOTORKIT_BUILD_DIR"):
        return "static"
    for line in _ancestor_cmdlines():
        low = line.lower()
        if any(k in low for k in HEADLESS_RUNNERS):
            return "static"
        if any(k in low for k in LIVE_FRONTENDS):
            return "live"
    return "live"


def live_or_static(
    live: Callable[[], widgets.Widget],
    static: Callable[[], widgets.Widget],
    mode: Mode | None = None,
) -> widgets.Widget:
    """Build the live widget in a kernel session, the precomputed one for the book (see :func:`widget_mode`).

    ``live`` and ``static`` are factories, so only the chosen one is computed; ``mode`` forces a choice.
    """
    chosen = widget_mode() if mode is None else mode
    if chosen not in ("live", "static"):
        raise ValueError(f"mode must be 'live' or 'static', not {chosen!r}")
    return live() if chosen == "live" else static()


# --------------------------------------------------------------------------------------------------
# Live controls over a few values


def selection_controls(choices: Mapping[str, tuple]) -> dict[str, widgets.Widget]:
    """Controls for :func:`live_sliders`, one per name: ``name -> (label, options, value[, fmt])``.

    Numeric options get a ``SelectionSlider`` (e.g. times, sizes), :data:`SLIDER_WIDTH` wide, text
    options a ``Dropdown`` (e.g. directions); all share one label width, so a long label does not eat
    the track. ``fmt``, when given, labels each option (the control's value stays the option itself).
    Updates only on release, since each change reruns a simulation.
    """
    controls: dict[str, widgets.Widget] = {}
    style = {"description_width": description_width([choice[0] for choice in choices.values()])}
    for name, (label, options, value, *fmt) in choices.items():
        options = list(options)
        shown = options if not fmt else [(fmt[0](o), o) for o in options]
        if all(isinstance(o, (int, float)) for o in options):
            controls[name] = widgets.SelectionSlider(options=shown, value=value, description=label,
                                                     continuous_update=False, style=style,
                                                     layout=widgets.Layout(width=SLIDER_WIDTH))
        else:
            controls[name] = widgets.Dropdown(options=shown, value=value, description=label, style=style,
                                              layout=widgets.Layout(width="min(400px, 100%)"))
    return controls


# --------------------------------------------------------------------------------------------------
# One call per chapter widget


@dataclass(frozen=True)
class Control:
    """One control of an :func:`explorer`: its ``label``, the ``values`` it offers, the index of the
    value shown first (``start``) and how a value reads (``fmt``).

    A value that is a dict is a set of the render function's arguments (one slider over combinations,
    e.g. a pulse's time and direction); any other value is passed under the control's name.
    """

    label: str
    values: Sequence
    start: int = 0
    fmt: Callable[[object], str] = str

    def choice(self) -> tuple:
        """The control as :func:`selection_controls` takes it: ``(label, options, value, fmt)``."""
        values = list(self.values)
        return self.label, values, values[self.start], self.fmt


#: Live controls: :class:`Control` specs by name, or a factory that makes the widgets (called only live).
LiveControls = Mapping[str, Control] | Callable[[], Mapping[str, widgets.Widget]]


def _arguments(name: str, value: object) -> dict[str, object]:
    return dict(value) if isinstance(value, Mapping) else {name: value}


def _live(render: Callable[..., Figure], controls: LiveControls) -> widgets.interactive:
    made = controls() if callable(controls) else selection_controls({n: c.choice() for n, c in controls.items()})
    return live_sliders(render, dict(made))


def explorer(
    render: Callable[..., Figure],
    controls: Mapping[str, Control],
    live_render: Callable[..., Figure] | None = None,
    live_controls: LiveControls | None = None,
    tabs: Mapping[str, tuple[Callable[..., Figure], LiveControls]] | None = None,
    dpi: int = 72,
    mode: Mode | None = None,
) -> widgets.Widget:
    """A chapter's widget in one call: kernel-free panels in a build, the live widget in a kernel.

    ``render(**arguments)`` draws the figure for one setting of ``controls`` (one or two, name ->
    :class:`Control`). In a build (:func:`widget_mode`) one control gives :func:`precomputed_panels`
    (a slider), two give :func:`precomputed_grid` (buttons for the first, a slider for the second).
    In a kernel the same controls become live ones (:func:`selection_controls`) over ``render``;
    ``live_render`` and ``live_controls`` replace them where the live widget offers more (e.g. any
    direction, where the book shows eight), and ``tabs`` (title -> (render, controls)) makes a
    ``Tab`` of several live widgets. Only the chosen form is computed.
    """
    if not 1 <= len(controls) <= 2:
        raise ValueError(f"explorer takes one or two controls, not {len(controls)}")

    def static() -> widgets.Widget:
        (first, a), *rest = controls.items()
        if not rest:
            return precomputed_panels(a.values, lambda v: render(**_arguments(first, v)), label=a.label,
                                      fmt=a.fmt, dpi=dpi, start=a.start)
        (second, b), = rest
        return precomputed_grid(a.values, b.values, lambda r, c: render(**_arguments(first, r), **_arguments(second, c)),
                                row_label=a.label, column_label=b.label, row_fmt=a.fmt, column_fmt=b.fmt, dpi=dpi,
                                start=(a.start, b.start))

    def live() -> widgets.Widget:
        if tabs:
            return widgets.Tab(children=[_live(r, c) for r, c in tabs.values()], titles=list(tabs))
        return _live(live_render or render, controls if live_controls is None else live_controls)

    return live_or_static(live, static, mode=mode)

