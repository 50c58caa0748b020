"""The course at a glance: one session per chapter, with what it builds on and its measured run time.

The instructor notes (``book/instructor_notes.md``) include the table that :func:`course_table`
writes when the book is staged: the sessions are listed here, the exercises are read from the
chapters' scaffold cells, and each chapter's run times are measured: a chapter's first run, which
trains its networks, and a later run, which finds them cached. The build's ``executed/timings.json``
(in the build folder, :func:`motorkit.io.build_dir`)
keeps both across executions (:func:`with_run_times`); where this build measured only one, the
other comes from ``book/course_times.json``, the run times of earlier builds that
``python -m motorkit.publish course`` writes (commit it after a cold and a warm build).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from motorkit.io import build_dir

#: The run times measured in earlier builds, committed: a build shows its own where it has them.
SNAPSHOT = Path("book") / "course_times.json"


@dataclass(frozen=True)
class Session:
    """One session: its chapter (notebook stem), title, the sessions it builds on, and what to bring."""

    chapter: str
    title: str
    builds_on: tuple[int, ...]
    bring: str


#: The course, one session per chapter, in the book's order.
SESSIONS: tuple[Session, ...] = (
    Session("01_effectors", "Bodies", (), "NumPy; vectors, sines and cosines"),
    Session("02_null_field", "Learning to reach", (1,), "the chain rule; gradient steps"),
    Session("03_adaptation", "Force fields", (1, 2), "the book's sign conventions"),
    Session("04_loss_analysis", "Learning curves", (2, 3), "moving averages; spread over seeds"),
    Session("05_pca", "Inside the network", (2, 3), "principal component analysis"),
    Session("06_interventions", "Interventions", (5,), "projections onto a subspace"),
    Session("07_generalization", "Generalization", (3,), "angles and wrapping"),
    Session("08_savings", "Savings", (3, 6), "difference equations"),
)


#: A chapter's run times kept across executions: its first run (training networks) and later runs.
RUN_KEYS: tuple[str, ...] = ("first_run_seconds", "first_run_trained", "cached_seconds")


def with_run_times(entry: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """A chapter's timings ``entry`` with its first-run and cached run times, carried over from ``previous``.

    Only a successful run with the default parameters counts: if it trained networks it is a first
    run (``first_run_seconds``, ``first_run_trained``), if it found them all cached, ``cached_seconds``.
    """
    out = {**{k: v for k, v in (previous or {}).items() if k in RUN_KEYS}, **entry}
    if entry.get("ok") and not entry.get("parameters"):
        if entry.get("trained"):
            out["first_run_seconds"], out["first_run_trained"] = entry["seconds"], entry["trained"]
        elif entry.get("trained") == 0:
            out["cached_seconds"] = entry["seconds"]
    return out


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()).get("chapters", {}) if path.exists() else {}


def run_times(root: Path, timings_path: Path) -> dict[str, dict[str, Any]]:
    """Each chapter's run times: this build's (``timings_path``) over the committed ``book/course_times.json``."""
    snapshot, build = _read(root / SNAPSHOT), _read(timings_path)
    stems = list(dict.fromkeys([*snapshot, *build]))
    return {s: {**snapshot.get(s, {}), **{k: v for k, v in build.get(s, {}).items() if k in RUN_KEYS}} for s in stems}


def exercise_ids(notebook: Path) -> list[str]:
    """The ids of a chapter's exercises, from its scaffold cells (tag ``exercise``, metadata ``exercise``)."""
    cells = json.loads(notebook.read_text()).get("cells", []) if notebook.exists() else []
    return [c["metadata"]["exercise"] for c in cells if "exercise" in c.get("metadata", {}).get("tags", [])]


def course_table(root: Path, timings_path: Path) -> str:
    """The course at a glance as a Markdown table, with each chapter's measured run times."""
    times = run_times(root, timings_path)
    rows = ["| | chapter | after | bring | exercises | first run | cached |",
            "|---|---|---|---|---|---|---|"]
    for number, session in enumerate(SESSIONS, start=1):
        ids = ", ".join(exercise_ids(root / "notebooks" / f"{session.chapter}.ipynb"))
        builds_on = ", ".join(str(n) for n in session.builds_on) or "—"
        t = times.get(session.chapter, {})
        cached = _minutes(t["cached_seconds"]) if "cached_seconds" in t else "not measured"
        if "first_run_seconds" in t:
            n = t["first_run_trained"]
            first = f"{_minutes(t['first_run_seconds'])}, trains {n}"
        else:
            first = "no training" if "cached_seconds" in t else "not measured"
        rows.append(f"| {number} | {{doc}}`{session.title} <../notebooks/{session.chapter}>` | {builds_on} | "
                    f"{session.bring} | {ids} | {first} | {cached} |")
    return "\n".join(rows) + "\n"


def _timings(root: Path, build: Path | None) -> Path:
    """The build's timings file (``build`` defaults to :func:`motorkit.io.build_dir`)."""
    return (build_dir(root) if build is None else build) / "executed" / "timings.json"


def write_course_table(root: Path, src: Path, build: Path | None = None) -> Path:
    """Write the table, with the run times of ``build``, beside the staged instructor notes
    (``<src>/book/course_at_a_glance.md``)."""
    path = src / "book" / "course_at_a_glance.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(course_table(root, _timings(root, build)))
    return path


def write_snapshot(root: Path, build: Path | None = None) -> Path:
    """Merge the run times of ``build`` into ``book/course_times.json`` (commit it: the notes fall back on it)."""
    times = run_times(root, _timings(root, build))
    path = root / SNAPSHOT
    path.write_text(json.dumps({"chapters": times}, indent=2, sort_keys=True) + "\n")
    return path
