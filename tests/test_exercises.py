"""The runnable exercises: every chapter has them, every solution passes its check, every untouched
scaffold gets a helpful "not answered yet" (never a traceback), and common mistakes get specific
feedback. ``motorkit.exercises`` holds the checks; the notebooks hold the cells."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

from motorkit import exercises, publish

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = {int(p.name[:2]): p for p in publish.chapter_notebooks(ROOT) if p.name[:2] != "90"}


def _notebook(chapter: int) -> dict[str, Any]:
    return json.loads(CHAPTERS[chapter].read_text())


def _cells(chapter: int, exercise: str) -> dict[str, dict[str, Any]]:
    """The scaffold (``exercise``), ``check`` and ``solution`` cells of one exercise, by tag."""
    found: dict[str, dict[str, Any]] = {}
    for cell in _notebook(chapter)["cells"]:
        if cell["metadata"].get("exercise") == exercise:
            for tag in ("exercise", "check", "solution"):
                if tag in cell["metadata"].get("tags", []):
                    assert tag not in found, f"exercise {exercise} has two {tag} cells"
                    found[tag] = cell
    return found


def _source(cell: dict[str, Any]) -> str:
    return "".join(cell["source"])


ALL = sorted(exercises.EXERCISES)


def test_every_chapter_ends_with_two_exercises_or_more() -> None:
    """Chapters 1-8 each have at least two registered exercises, and every exercise is in its chapter."""
    for chapter in CHAPTERS:
        ids = [e for e in ALL if exercises.EXERCISES[e].chapter == chapter]
        assert len(ids) >= 2, f"chapter {chapter} has {len(ids)} exercise(s)"
        tagged = {c["metadata"].get("exercise") for c in _notebook(chapter)["cells"]} - {None}
        assert tagged == set(ids), f"chapter {chapter}: cells for {sorted(tagged)}, checks for {ids}"


@pytest.mark.parametrize("exercise", ALL)
def test_exercise_has_scaffold_check_and_folded_solution(exercise: str) -> None:
    """Scaffold with ``...``, then its check, then the solution: tagged hide-input, labelled, checked."""
    ex = exercises.EXERCISES[exercise]
    cells = _cells(ex.chapter, exercise)
    assert set(cells) == {"exercise", "check", "solution"}, f"{exercise}: cells {sorted(cells)}"
    order = [c["id"] for c in _notebook(ex.chapter)["cells"]]
    assert order.index(cells["exercise"]["id"]) + 1 == order.index(cells["check"]["id"])
    assert order.index(cells["check"]["id"]) + 1 == order.index(cells["solution"]["id"])
    scaffold = _source(cells["exercise"])
    assert f"def {ex.answer}(" in scaffold and scaffold.rstrip().endswith("...")
    assert _source(cells["check"]).strip() == f'exercises.check("{exercise}", {ex.answer})'
    solution = cells["solution"]
    assert "hide-input" in solution["metadata"]["tags"]
    assert solution["metadata"]["mystnb"]["code_prompt_show"] == "Show the solution"
    assert _source(solution).rstrip().endswith(f'exercises.check("{exercise}", {ex.answer})')


@pytest.mark.parametrize("exercise", ALL)
def test_solution_passes_its_check(exercise: str) -> None:
    """The notebook's own solution, run on its own, is correct."""
    ex = exercises.EXERCISES[exercise]
    feedback = exercises.run_cell(exercise, _source(_cells(ex.chapter, exercise)["solution"]))
    assert feedback.passed, str(feedback)
    assert feedback.points == 2


@pytest.mark.parametrize("exercise", ALL)
def test_untouched_scaffold_gets_a_helpful_message(exercise: str) -> None:
    """The scaffold as shipped: "not answered yet", naming the function and the ``...``; no traceback."""
    ex = exercises.EXERCISES[exercise]
    feedback = exercises.run_cell(exercise, _source(_cells(ex.chapter, exercise)["exercise"]))
    assert feedback.status == "unanswered", str(feedback)
    text = str(feedback)
    assert f"`{ex.answer}`" in text and "`...`" in text and "not answered yet" in text
    assert "Traceback" not in text and feedback.points == 0
    assert "not answered yet" in feedback._repr_html_()


#: A typical mistake per exercise, and the words its feedback must contain.
MISTAKES = [
    ("1.1", "def hand_position(s, e, l1, l2):\n    return np.array([l1*np.cos(s)+l2*np.cos(e), l1*np.sin(s)+l2*np.sin(e)])",
     "shoulder + elbow"),
    ("1.2", "def joint_torques(s, e, l1, l2, F):\n"
            "    J = np.array([[-l1*np.sin(s)-l2*np.sin(s+e), -l2*np.sin(s+e)], [l1*np.cos(s)+l2*np.cos(s+e), l2*np.cos(s+e)]])\n"
            "    return J @ F", "J^T F"),
    ("2.1", "def endpoint_error_cm(f, t, dt):\n    return np.linalg.norm(f[:, -10:] - t[:, None], axis=-1).mean(axis=1)",
     "centimetres"),
    ("2.2", "def minimum_jerk_speed(t, o, D, d):\n    s = (t - o) / D\n    return 30 * s**2 * (1 - s)**2 * d / D",
     "must be 0"),
    ("3.1", "def curl_force(v, k, field):\n    c = k * np.stack([v[:, 1], -v[:, 0]], 1)\n    return -c if field == 'cw' else c",
     "flipped"),
    ("3.2", "def lateral_deviation_cm(f, t):\n    s = f[:, 0]; u = (t - s) / np.linalg.norm(t - s, axis=1, keepdims=True)\n"
            "    p = np.einsum('btk,bk->bt', f - s[:, None], np.stack([-u[:, 1], u[:, 0]], 1))\n"
            "    return 100 * np.abs(p).max(axis=1)", "keep the sign"),
    ("4.1", "def moving_average(v, w):\n    return np.convolve(v, np.ones(w) / w, 'same')", "trailing average"),
    ("4.2", "def largest_rise(s):\n    return np.max(s - np.minimum.accumulate(s))", "total drop"),
    ("5.1", "def components_for(r, f):\n    return int(np.searchsorted(np.cumsum(r), f))", "index"),
    ("5.2", "def project(h, m, c):\n    return h @ c.T", "centre first"),
    ("6.1", "def hold(h, b, c):\n    return h - (h @ b.T) @ b", "centre's value"),
    ("6.2", "def random_direction(b, seed):\n    return np.random.default_rng(seed).normal(size=b.shape[1])", "unit vector"),
    ("7.1", "def angular_distance(d, t):\n    return np.asarray(d) - t", "wrap"),
    ("7.2", "def half_width(d, v):\n    m = d >= 0; x = d[m]; y = v[m]; i = np.flatnonzero(y < 0.5)[0]\n"
            "    return np.interp(0.5, [y[i], y[i - 1]], [x[i], x[i - 1]])", "both sides"),
    ("8.1", "def batches_to_criterion(b, e, c):\n    i = np.flatnonzero(np.asarray(e) <= c)\n"
            "    return b[i[0]] if i.size else np.nan", "interpolate"),
    ("8.2", "def two_state(p, af, bf, a_s, bs):\n    F, S = [], []; xf = xs = 0.0\n    for f in p:\n"
            "        xf = af * xf + bf * (f - xf - xs); xs = a_s * xs + bs * (f - xf - xs); F.append(xf); S.append(xs)\n"
            "    return np.array(F), np.array(S)", "same error"),
]


def test_every_exercise_has_a_mistake_tested() -> None:
    assert sorted(m[0] for m in MISTAKES) == ALL


@pytest.mark.parametrize(("exercise", "source", "words"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_common_mistake_gets_specific_feedback(exercise: str, source: str, words: str) -> None:
    """A wrong answer is "not yet right", names the part that is wrong, says what is wrong, and gives the hint."""
    feedback = exercises.run_cell(exercise, source)
    assert feedback.status == "incorrect", str(feedback)
    assert words in feedback.message, str(feedback)
    assert feedback.part and feedback.hint == exercises.EXERCISES[exercise].hint
    assert feedback.points == 1 and "Hint:" in str(feedback)


def test_an_error_in_student_code_is_one_line_not_a_traceback() -> None:
    feedback = exercises.run_cell("2.1", "def endpoint_error_cm(f, t, dt):\n    return f / undefined_name")
    assert feedback.status == "error"
    assert "NameError" in feedback.message and "undefined_name" in feedback.message
    assert "line 2 of your cell" in feedback.message
    assert "Traceback" not in str(feedback) and "\n" not in feedback.message


def test_a_cell_that_does_not_run_is_reported() -> None:
    feedback = exercises.run_cell("2.1", "def endpoint_error_cm(f, t, dt)\n    return 1")
    assert feedback.status == "error" and "SyntaxError" in feedback.message


def test_check_rejects_unknown_exercises_and_non_functions() -> None:
    with pytest.raises(ValueError, match="no exercise '9.9'"):
        exercises.check("9.9", print)
    feedback = exercises.check("3.1", 42)
    assert feedback.status == "incorrect" and "expected the function `curl_force`" in feedback.message
    assert exercises.check("3.1", ...).status == "unanswered"


def test_checks_do_not_print_and_accept_torch_tensors() -> None:
    import torch

    def curl_force(v, k, field):
        print("noise")
        v = torch.as_tensor(v)
        c = k * torch.stack([v[:, 1], -v[:, 0]], 1)
        return c if field == "cw" else -c

    assert exercises.check("3.1", curl_force).passed


def _filled(chapter: int, solved: bool) -> dict[str, Any]:
    """A student's copy of a chapter: each scaffold replaced by the solution (``solved``), or left as is."""
    nb = _notebook(chapter)
    solutions = {c["metadata"]["exercise"]: c["source"] for c in nb["cells"] if "solution" in c["metadata"].get("tags", [])}
    for cell in nb["cells"]:
        if solved and "exercise" in cell["metadata"].get("tags", []):
            cell["source"] = solutions[cell["metadata"]["exercise"]]
    return nb


def test_grade_gives_the_rubric_points(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m motorkit.exercises grade``: full points for solutions, none for untouched scaffolds."""
    solved, blank = tmp_path / "solved.ipynb", tmp_path / "blank.ipynb"
    solved.write_text(json.dumps(_filled(8, solved=True)))
    blank.write_text(json.dumps(_filled(8, solved=False)))
    assert [f.status for f in exercises.grade(solved)] == ["correct", "correct"]
    assert exercises.main(["grade", str(solved), str(blank), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["points"], r["out_of"]) for r in lines] == [(4, 4), (0, 4)]
    assert exercises.main(["grade", str(tmp_path / "missing.ipynb")]) == 2
    assert exercises.main(["list"]) == 0
    assert "8.2" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_executed_chapter_shows_feedback(chapter: int, executed_chapters: dict[str, publish.ChapterResult]) -> None:
    """In the executed chapter (what the book shows): "not answered yet" under each scaffold, "correct"
    under each solution, and no error output in any exercise cell."""
    result = executed_chapters[CHAPTERS[chapter].stem]
    assert result.ok, result.error
    nb = nbformat.read(result.executed, as_version=4)
    seen = 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or not ({"check", "solution"} & set(tags)):
            continue
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        text = " ".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
        assert ("not answered yet" if "check" in tags else ": correct.") in text, text
        seen += 1
    assert seen == 2 * len([e for e in ALL if exercises.EXERCISES[e].chapter == chapter])


def test_reaches_used_by_the_checks_are_realistic() -> None:
    """The made-up reaches the checks use: 10 cm long, bell-shaped, ending near their targets."""
    from motorkit import metrics

    hand, velocity, target = exercises._reaches()
    assert np.allclose(np.linalg.norm(target - hand[:, 0], axis=-1), 0.1)
    assert np.all(100 * metrics.endpoint_error(hand, target, 0.01) < 1.0)
    assert np.all(metrics.peak_speed(velocity) > 0.2) and np.all(metrics.peak_speed(velocity) < 0.5)
