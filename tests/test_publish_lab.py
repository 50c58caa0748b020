"""``make lab``'s working copy, settings and command line (``motorkit.publish.lab``), without starting a server.

``tests/test_lab.py`` starts the server and runs a chapter in the browser.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from motorkit import publish
from motorkit.publish import lab as mklab


def _notebook(*sources: str, outputs: list | None = None) -> str:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
              "outputs": outputs or [], "source": s} for i, s in enumerate(sources)]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


@pytest.fixture
def lab(tmp_path: Path) -> mklab.Lab:
    """A project with two chapters, and its lab folder."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / "01_a.ipynb").write_text(_notebook("x = 1"))
    (root / "notebooks" / "02_b.ipynb").write_text(_notebook("y = 2"))
    return mklab.default_lab(root)


def test_copies_are_byte_identical_and_recorded(lab: mklab.Lab) -> None:
    assert mklab.sync_working_copy(lab) == []
    for name in ("01_a.ipynb", "02_b.ipynb"):
        assert (lab.notebooks / name).read_bytes() == (lab.sources / name).read_bytes()
    manifest = json.loads(lab.manifest.read_text())["notebooks"]
    assert set(manifest) == {"01_a.ipynb", "02_b.ipynb"}
    assert lab.notebooks == lab.root / "_build" / "lab" / "notebooks"


def test_a_run_copy_is_refreshed_when_its_source_changes(lab: mklab.Lab) -> None:
    mklab.sync_working_copy(lab)
    copy = lab.notebooks / "01_a.ipynb"
    ran = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    copy.write_text(_notebook("x = 1", outputs=ran))  # run, not edited: outputs only
    (lab.sources / "01_a.ipynb").write_text(_notebook("x = 10"))
    assert mklab.sync_working_copy(lab) == []
    assert copy.read_bytes() == (lab.sources / "01_a.ipynb").read_bytes()


def test_an_edited_copy_is_kept_and_the_way_to_update_is_said(lab: mklab.Lab) -> None:
    mklab.sync_working_copy(lab)
    copy = lab.notebooks / "01_a.ipynb"
    copy.write_text(_notebook("x = 1  # my answer"))
    assert mklab.sync_working_copy(lab) == []  # source unchanged: nothing to say
    (lab.sources / "01_a.ipynb").write_text(_notebook("x = 10"))
    messages = mklab.sync_working_copy(lab)
    assert len(messages) == 1 and "delete _build/lab/notebooks/01_a.ipynb" in messages[0]
    assert "my answer" in copy.read_text()
    assert len(mklab.sync_working_copy(lab)) == 1  # said again on every start until the copy is deleted
    copy.unlink()
    assert mklab.sync_working_copy(lab) == []
    assert copy.read_bytes() == (lab.sources / "01_a.ipynb").read_bytes()


def test_a_lost_manifest_keeps_copies_and_their_outputs(lab: mklab.Lab) -> None:
    mklab.sync_working_copy(lab)
    copy = lab.notebooks / "01_a.ipynb"
    copy.write_text(_notebook("x = 1", outputs=[{"output_type": "stream", "name": "stdout", "text": "1\n"}]))
    lab.manifest.unlink()
    assert mklab.sync_working_copy(lab) == []
    assert "stdout" in copy.read_text()


def test_settings_switch_news_off_and_respect_the_students(lab: mklab.Lab) -> None:
    mklab.prepare(lab)
    path = lab.settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    assert json.loads(path.read_text()) == {"fetchNews": "false", "checkForUpdates": False}
    path.write_text('{"fetchNews": "true"}')
    mklab.prepare(lab)
    assert path.read_text() == '{"fetchNews": "true"}'
    spec = json.loads((lab.jupyter / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["argv"][0] == mklab.sys.executable
    assert lab.metrics.is_dir() and lab.workspaces.is_dir()


def test_command_serves_the_copy_on_localhost(lab: mklab.Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", "/somewhere")  # would make the widgets static: dropped
    cmd, env = mklab.lab_command(lab, port=8899, token="t0ken", open_browser=False, allow_root=True,
                                 extra=["--debug"])
    assert Path(cmd[0]).name == "jupyter-lab"  # widgets.widget_mode recognises a live kernel by this name
    assert "--ServerApp.ip=127.0.0.1" in cmd and f"--ServerApp.root_dir={lab.notebooks}" in cmd
    assert {"--ServerApp.port=8899", "--IdentityProvider.token=t0ken", "--no-browser", "--allow-root",
            "--debug"} <= set(cmd)
    assert "MOTORKIT_BUILD_DIR" not in env
    assert env["MOTORKIT_METRICS_DIR"] == str(lab.metrics)
    assert env["JUPYTERLAB_SETTINGS_DIR"] == str(lab.settings)
    assert env["JUPYTERLAB_WORKSPACES_DIR"] == str(lab.workspaces)
    assert env["JUPYTER_PATH"].split(":")[0] == str(lab.jupyter)
    cmd, _ = mklab.lab_command(lab)
    assert not any(a.startswith(("--ServerApp.port", "--IdentityProvider.token", "--no-browser")) for a in cmd)


def test_publish_command_line_hands_lab_over(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}
    monkeypatch.setattr(mklab, "main", lambda argv: seen.setdefault("argv", list(argv)) and 0)
    assert publish.main(["lab", "--no-browser", "--port", "8890"]) == 0
    assert seen["argv"] == ["--no-browser", "--port", "8890"]


def test_the_student_edition_is_served_beside_the_chapters(tmp_path: Path) -> None:
    """``prepare`` on the book itself: ``student/`` holds each chapter without its solutions."""
    root = Path(__file__).resolve().parents[1]
    lab = mklab.Lab(root, tmp_path / "lab")
    assert mklab.prepare(lab) == []
    student = sorted(p.name for p in (lab.notebooks / "student").glob("*.ipynb"))
    assert student == sorted(p.name for p in publish.chapter_notebooks(root) if not p.name.startswith("90"))
    copy = json.loads((lab.notebooks / "student" / "01_effectors.ipynb").read_text())
    assert not [c for c in copy["cells"] if "solution" in c["metadata"].get("tags", [])]
    manifest = json.loads(lab.manifest.read_text())["notebooks"]
    assert "student/01_effectors.ipynb" in manifest and "01_effectors.ipynb" in manifest
    assert mklab.prepare(lab) == []  # a second start changes nothing
    (lab.notebooks / "student" / "01_effectors.ipynb").write_text(json.dumps({**copy, "cells": copy["cells"][:3]}))
    assert mklab.prepare(lab) == []  # the student's edits are kept while the edition is unchanged
    assert len(json.loads((lab.notebooks / "student" / "01_effectors.ipynb").read_text())["cells"]) == 3
