"""The student edition (``make student``): every chapter with exercises, no solutions, no outputs,
and the book links each chapter's student notebook for download (offline)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from motorkit import exercises, publish
from motorkit.publish.student import NOTE, student_edition, write_student

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def edition(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("student")
    return {p.stem: p for p in write_student(ROOT, out)}


def test_every_chapter_with_exercises_is_in_it(edition: dict[str, Path]) -> None:
    chapters = [p.stem for p in publish.chapter_notebooks(ROOT) if not p.stem.startswith("90")]
    assert sorted(edition) == sorted(chapters)


def test_no_solutions_and_no_outputs(edition: dict[str, Path]) -> None:
    for stem, path in edition.items():
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
        assert "solution" not in tags and "book-only" not in tags, stem
        assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code"), stem
        prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert not re.search(r"\{admonition\}[^\n]*[Ss]olution", prose), f"{stem}: a folded solution is left"
        assert "{download}" not in prose
        assert nb.cells[1].source == NOTE


def test_scaffolds_and_checks_are_kept(edition: dict[str, Path]) -> None:
    for stem, path in edition.items():
        nb = nbformat.read(path, as_version=4)
        scaffolds = [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
        checks = [c for c in nb.cells if "check" in c.metadata.get("tags", [])]
        ids = [e.id for e in exercises.EXERCISES.values() if e.chapter == int(stem[:2])]
        assert [c.metadata["exercise"] for c in scaffolds] == ids == [c.metadata["exercise"] for c in checks]
        assert all(c.source.rstrip().endswith("...") for c in scaffolds)
        assert [f.status for f in exercises.grade(path)] == ["unanswered"] * len(ids)


def test_the_sources_are_left_alone() -> None:
    source = ROOT / "notebooks" / "03_adaptation.ipynb"
    before = source.read_bytes()
    nb = json.loads(before)
    student_edition(nb)
    assert json.loads(before) == nb and source.read_bytes() == before


def test_make_student_command(tmp_path: Path) -> None:
    """``python -m motorkit.publish student`` writes ``<build>/student`` and says so in one line."""
    build = tmp_path / "build"  # the build folder of the command line (default _build)
    proc = subprocess.run([sys.executable, "-m", "motorkit.publish", "student", "--root", str(ROOT),
                           "--build-dir", str(build)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "student edition: 8 chapter(s)" in proc.stdout
    assert (build / "student" / "01_effectors.ipynb").exists()


@pytest.mark.slow
def test_book_links_each_chapters_student_notebook(built_book: Path) -> None:
    """Each chapter page links its own student notebook, and the file behind the link is that edition."""
    for source in publish.chapter_notebooks(ROOT):
        if source.stem.startswith("90"):
            continue
        page = (built_book / "notebooks" / f"{source.stem}.html").read_text()
        links = re.findall(r'href="([^"]*_downloads/[^"]*/' + re.escape(source.name) + ')"', page)
        assert links, f"{source.stem}: no download link to its student notebook"
        target = (built_book / "notebooks" / links[0]).resolve()
        nb = nbformat.read(target, as_version=4)
        assert nb.cells[1].source == NOTE
        assert not [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]


@pytest.mark.slow
def test_the_handout_runs_top_to_bottom(edition: dict[str, Path], executed_chapters: dict[str, publish.ChapterResult],
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each student notebook, as handed out, runs from the top without an error (with the book's models
    cached), its checks say "not answered yet", and it writes no metrics anywhere."""
    from nbclient import NotebookClient

    assert all(r.ok for r in executed_chapters.values())
    metrics = tmp_path / "metrics"
    monkeypatch.setenv("MOTORKIT_METRICS_DIR", str(metrics))  # where a stray write_metrics would land
    for stem, path in edition.items():
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        outputs = [(c, o) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for _, o in outputs if o.output_type == "error"], stem
        feedback = [o.data["text/plain"] for c, o in outputs
                    if "check" in c.metadata.get("tags", []) and o.output_type == "execute_result"]
        assert len(feedback) >= 2 and all("not answered yet" in f for f in feedback), (stem, feedback)
    assert not metrics.exists(), "the student edition wrote metrics"
