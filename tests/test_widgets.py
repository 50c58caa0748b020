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
    # wide enough to use with a mouse: the label takes a fixed part, the track the rest of up to 600 px
    assert all(c.layout.width == "min(600px, 100%)" for c in controls.values())
    assert {c.style.description_width for c in controls.values()} == {mkw.description_width(["muscle a"])}
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


def test_selection_controls_leave_the_slider_a_usable_track():
    controls = mkw.selection_controls({"step": ("pulse at step (10 ms each)", list(range(0, 100, 5)), 20),
                                       "direction": ("direction", ["PC1", "PC2"], "PC2")})
    slider, dropdown = controls["step"], controls["direction"]
    assert isinstance(slider, widgets.SelectionSlider) and isinstance(dropdown, widgets.Dropdown)
    assert slider.layout.width == "min(600px, 100%)"
    label = int(slider.style.description_width.removesuffix("px"))
    assert 150 <= label <= 240  # the whole label shows, and at least 360 px of track remain
    assert dropdown.style.description_width == slider.style.description_width  # controls line up


def test_description_width_is_bounded():
    assert mkw.description_width([]) == "80px"
    assert mkw.description_width(["x" * 100]) == "240px"


def test_explorer_one_control_is_a_slider_over_panels_in_a_build():
    seen = []

    def draw(gain):
        seen.append(gain)
        return render(gain)

    box = mkw.explorer(draw, {"gain": mkw.Control("gain", [0.5, 1.0, 2.0], start=1, fmt=lambda v: f"{v:.1f}")},
                       mode="static")
    assert seen == [0.5, 1.0, 2.0]
    assert isinstance(box.stack, widgets.Stack) and len(box.stack.children) == 3
    assert box.slider.options == ("0.5", "1.0", "2.0") and box.slider.index == 1
    assert box.link.source == (box.slider, "index")


def test_explorer_two_controls_are_a_grid_and_dict_values_are_arguments():
    calls = []

    def draw(body, angle):
        calls.append((body, angle))
        return render(angle)

    box = mkw.explorer(draw, {"body": mkw.Control("body", ["a", "b"], start=1, fmt=str.upper),
                              "angle": mkw.Control("angle", [0, 90])}, mode="static")
    assert calls == [("a", 0), ("a", 90), ("b", 0), ("b", 90)]
    assert box.buttons.options == ("A", "B") and box.buttons.index == 1
    combos = [{"body": "a", "angle": 0}, {"body": "b", "angle": 90}]
    calls.clear()
    mkw.explorer(draw, {"combo": mkw.Control("combo", combos)}, mode="static")
    assert calls == [("a", 0), ("b", 90)]
    with pytest.raises(ValueError, match="one or two"):
        mkw.explorer(draw, {}, mode="static")


def test_explorer_live_forms():
    draw = lambda **values: render(1.0)  # noqa: E731
    live = mkw.explorer(draw, {"step": mkw.Control("step", [5, 10, 20], start=2),
                               "name": mkw.Control("name", ["PC1", "PC2"], fmt=str.lower)}, mode="live")
    assert isinstance(live, widgets.interactive)
    step, name = live.children[:2]
    assert isinstance(step, widgets.SelectionSlider) and step.value == 20
    assert isinstance(name, widgets.Dropdown) and name.options == (("pc1", "PC1"), ("pc2", "PC2"))
    other = mkw.explorer(draw, {"step": mkw.Control("step", [5])}, mode="live",
                         live_controls=lambda: {"x": widgets.IntSlider(value=3)})
    assert other.children[0].value == 3
    tabs = mkw.explorer(draw, {"step": mkw.Control("step", [5])}, mode="live",
                        tabs={"one": (draw, {"x": mkw.Control("x", [1, 2])}),
                              "two": (draw, lambda: mkw.float_sliders(["a"]))})
    assert isinstance(tabs, widgets.Tab) and tabs.titles == ("one", "two")
    assert all(isinstance(child, widgets.interactive) for child in tabs.children)
