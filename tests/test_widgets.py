"""Widgets: kernel-free precomputed panels (slider jslinked to a Stack), live sliders, and the mode switch."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")  # tests only; notebooks keep the inline backend
import matplotlib.pyplot as plt
import pytest

from motorkit.publish import widgets as mkw


def render(value: float):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, value])
    ax.set_title(f"{value}")
    return fig


def test_figure_to_png_closes_the_figure():
    fig = render(1.0)
    data = mkw.figure_to_png(fig, dpi=40)
    assert data.startswith(b"\x89PNG")
    assert fig.number not in plt.get_fignums()
    full = mkw.figure_to_png(render(1.0), dpi=40, colors=None)
    assert full.startswith(b"\x89PNG")


def test_precomputed_panels_structure_and_jslink():
    values = [0.0, 0.5, 1.0, 2.0]
    box = mkw.precomputed_panels(values, render, label="gain", fmt=lambda v: f"{v:.1f}", start=2)
    slider, stack = box.children
    assert isinstance(stack, widgets.Stack) and box.stack is stack
    assert len(stack.children) == len(values)
    assert all(isinstance(c, widgets.Image) and bytes(c.value).startswith(b"\x89PNG") for c in stack.children)
    assert len({bytes(c.value) for c in stack.children}) == len(values)  # one distinct panel per value
    assert slider.options == ("0.0", "0.5", "1.0", "2.0")
    assert slider.index == 2 and stack.selected_index == 2
    link = box.link
    assert link._model_name == "LinkModel"  # a browser-side link: works without a kernel
    assert link.source == (slider, "index") and link.target == (stack, "selected_index")
    assert not plt.get_fignums()  # every panel figure was closed


def test_precomputed_panels_needs_values():
    with pytest.raises(ValueError):
        mkw.precomputed_panels([], render, label="x")


def test_float_sliders_and_live_sliders():
    controls = mkw.float_sliders(["a", "b"], ["muscle a", "muscle b"], max_value=0.2, step=0.01, value=[0.1, 0.0])
    assert list(controls) == ["a", "b"]
    assert controls["a"].description == "muscle a" and controls["a"].value == pytest.approx(0.1)
    seen = {}

    def draw(a: float, b: float):
        seen.update(a=a, b=b)
        return render(a + b)

    live = mkw.live_sliders(draw, controls)
    assert isinstance(live, widgets.interactive)
    controls["b"].value = 0.05
    live.update()
    assert seen == {"a": pytest.approx(0.1), "b": pytest.approx(0.05)}


def test_live_or_static_modes(monkeypatch):
    live = lambda: widgets.Label("live")
    static = lambda: widgets.Label("static")
    assert mkw.live_or_static(live, static, mode="live").value == "live"
    assert mkw.live_or_static(live, static, mode="static").value == "static"
    with pytest.raises(ValueError):
        mkw.live_or_static(live, static, mode="other")  # type: ignore[arg-type]
    monkeypatch.delenv("MOTORKIT_BUILD_DIR", raising=False)
    monkeypatch.setenv("MOTORKIT_WIDGETS", "live")
    assert mkw.widget_mode() == "live"
    monkeypatch.setenv("MOTORKIT_WIDGETS", "static")
    assert mkw.widget_mode() == "static"
    monkeypatch.delenv("MOTORKIT_WIDGETS")
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", "/tmp/somewhere")
    assert mkw.widget_mode() == "static"
    monkeypatch.delenv("MOTORKIT_BUILD_DIR")
    assert mkw.widget_mode() == "static"  # under pytest: a headless runner is an ancestor
