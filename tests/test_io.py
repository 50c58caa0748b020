"""The build folder and the metrics files: where chapters write, and that ``make lab`` can redirect it."""

from __future__ import annotations

from pathlib import Path

import pytest

from motorkit import io


def test_build_dir_is_the_variable_else_the_projects_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One switch: ``MOTORKIT_BUILD_DIR`` wins over any project root; unset or empty, ``<root>/_build``."""
    monkeypatch.delenv("MOTORKIT_BUILD_DIR", raising=False)
    assert io.build_dir() == (io.REPO_ROOT / "_build").resolve()
    assert io.build_dir(tmp_path / "project") == (tmp_path / "project" / "_build").resolve()
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", "")
    assert io.build_dir(tmp_path) == (tmp_path / "_build").resolve()
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", str(tmp_path / "seed3"))
    assert io.build_dir() == io.build_dir(tmp_path / "project") == (tmp_path / "seed3").resolve()


def test_metrics_dir_follows_the_build_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTORKIT_METRICS_DIR", raising=False)
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", str(tmp_path / "build"))
    assert io.metrics_dir() == (tmp_path / "build" / "metrics").resolve()
    path = io.write_metrics("ch", {"value": 1.5})
    assert path == (tmp_path / "build" / "metrics" / "ch.json").resolve()
    assert io.read_metrics("ch") == {"value": 1.5}


def test_metrics_dir_variable_redirects_metrics_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``MOTORKIT_METRICS_DIR`` (set by ``make lab``) moves the metrics, not the build folder or its files."""
    build, lab = tmp_path / "build", tmp_path / "lab" / "metrics"
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", str(build))
    io.write_metrics("ch", {"value": 1.0})
    monkeypatch.setenv("MOTORKIT_METRICS_DIR", str(lab))
    assert io.metrics_dir() == lab.resolve()
    assert io.build_dir() == build.resolve()
    io.write_metrics("ch", {"value": 2.0, "other": True})
    assert io.read_metrics("ch") == {"value": 2.0, "other": True}
    monkeypatch.delenv("MOTORKIT_METRICS_DIR")
    assert io.read_metrics("ch") == {"value": 1.0}  # the build's file is untouched


def test_empty_metrics_variable_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", str(tmp_path))
    monkeypatch.setenv("MOTORKIT_METRICS_DIR", "")
    assert io.metrics_dir() == tmp_path.resolve() / "metrics"
