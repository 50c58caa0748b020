"""The instructor notes' course at a glance (``motorkit.publish.course``): one session per chapter,
its exercises, and the run times measured in the builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from motorkit import exercises, publish
from motorkit.publish.course import SESSIONS, SNAPSHOT, course_table, with_run_times, write_snapshot

ROOT = Path(__file__).resolve().parents[1]


def test_one_session_per_chapter_in_book_order() -> None:
    chapters = [p.stem for p in publish.chapter_notebooks(ROOT) if not p.stem.startswith("90")]
    assert [s.chapter for s in SESSIONS] == chapters
    for number, session in enumerate(SESSIONS, start=1):
        assert all(0 < n < number for n in session.builds_on), session


def test_first_run_and_cached_times_are_kept_across_runs() -> None:
    cold = with_run_times({"seconds": 339.0, "ok": True, "trained": 7, "parameters": {}}, None)
    warm = with_run_times({"seconds": 16.8, "ok": True, "trained": 0, "parameters": {}}, cold)
    assert (warm["first_run_seconds"], warm["first_run_trained"], warm["cached_seconds"]) == (339.0, 7, 16.8)
    other = with_run_times({"seconds": 500.0, "ok": True, "trained": 7, "parameters": {"seed": 1}}, warm)
    failed = with_run_times({"seconds": 3.0, "ok": False, "trained": 0, "parameters": {}}, warm)
    for entry in (other, failed):  # another seed, or a failure, measures nothing for the course
        assert (entry["first_run_seconds"], entry["cached_seconds"]) == (339.0, 16.8)


def _root(tmp_path: Path, snapshot: dict) -> Path:
    root = tmp_path / "root"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    (root / "book").mkdir()
    (root / SNAPSHOT).write_text(json.dumps({"chapters": snapshot}))
    return root


def test_table_gives_exercises_and_measured_run_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTORKIT_BUILD_DIR", raising=False)  # the build is <root>/_build
    root = _root(tmp_path, {"02_null_field": {"first_run_seconds": 359.0, "first_run_trained": 7,
                                              "cached_seconds": 20.0}})
    timings = root / "_build" / "executed" / "timings.json"
    timings.parent.mkdir(parents=True)
    timings.write_text(json.dumps({"chapters": {
        "01_effectors": {"seconds": 8.1, "ok": True, "trained": 0, "cached_seconds": 8.1},
        "02_null_field": {"seconds": 16.8, "ok": True, "trained": 0, "cached_seconds": 16.8}}}))
    rows = course_table(root, timings).splitlines()[2:]
    assert len(rows) == len(SESSIONS)
    assert rows[0].endswith("| 1.1, 1.2 | no training | 8 s |")
    assert rows[1].endswith("| 6 min, trains 7 | 17 s |")  # the build's own over the snapshot
    assert rows[2].endswith("| not measured | not measured |")
    ids = [e.id for e in exercises.EXERCISES.values() if e.chapter == 8]
    assert ", ".join(ids) in rows[7]
    written = json.loads(write_snapshot(root).read_text())["chapters"]
    assert written["02_null_field"] == {"first_run_seconds": 359.0, "first_run_trained": 7, "cached_seconds": 16.8}
    assert written["01_effectors"] == {"cached_seconds": 8.1}
