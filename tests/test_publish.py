"""The papermill gate (``motorkit.publish.gate``) and its command line (``motorkit.publish.cli``), on small
throw-away projects in ``tmp_path``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from motorkit import publish
from motorkit.publish import cli, gate

TOC = "format: jb-book\nroot: intro\nchapters:\n{chapters}"


@pytest.fixture(autouse=True)
def _no_build_dir_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The throw-away projects build into their own ``_build`` unless a test sets ``MOTORKIT_BUILD_DIR``."""
    monkeypatch.delenv("MOTORKIT_BUILD_DIR", raising=False)


def make_project(root: Path, notebooks: dict[str, list[tuple[str, str, list[str]]]], extra_entries: tuple[str, ...] = ()) -> Path:
    """A minimal book: intro.md, and notebooks/<stem>.ipynb from (cell type, source, tags) triples."""
    (root / "notebooks").mkdir(parents=True)
    (root / "intro.md").write_text("# Intro\n")
    for stem, cells in notebooks.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        for kind, source, tags in cells:
            make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
            nb.cells.append(make(source, metadata={"tags": tags}))
        nbformat.write(nb, root / "notebooks" / f"{stem}.ipynb")
    entries = [f"notebooks/{stem}" for stem in notebooks] + list(extra_entries)
    (root / "_toc.yml").write_text(TOC.format(chapters="".join(f"  - file: {e}\n" for e in entries)))
    return root


def run_publish(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m motorkit.publish <args> --root <root>`` as a subprocess (``env``: variables to add)."""
    return subprocess.run([sys.executable, "-m", "motorkit.publish", *args, "--root", str(root)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def files_in(folder: Path) -> set[str]:
    """The files under ``folder``, as paths relative to it."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_failing_cell_fails_the_command_naming_notebook_and_cell(tmp_path: Path) -> None:
    """A cell that raises: non-zero exit, and the message names the notebook and shows the cell's source."""
    root = make_project(tmp_path, {"bad": [
        ("code", "seed = 0", ["parameters"]),
        ("code", "x = 1 + 1", []),
        ("code", "y = x * 2\nraise ValueError('the-failure-marker')", []),
        ("code", "print('never reached')", []),
    ]})
    proc = run_publish(root, "execute")
    assert proc.returncode != 0
    assert "bad.ipynb" in proc.stderr
    assert "raise ValueError('the-failure-marker')" in proc.stderr  # the failing cell's source
    assert "ValueError: the-failure-marker" in proc.stderr
    assert (root / "_build" / "executed" / "bad.ipynb").exists()  # papermill still wrote the notebook
    timings = json.loads((root / "_build" / "executed" / "timings.json").read_text())
    assert timings["chapters"]["bad"]["ok"] is False


def test_missing_toc_entry_fails_naming_it(tmp_path: Path) -> None:
    """A ``_toc.yml`` entry whose file does not exist fails loudly, naming the entry."""
    root = make_project(tmp_path, {}, extra_entries=("notebooks/02_not_written_yet",))
    with pytest.raises(publish.PublishError, match="notebooks/02_not_written_yet"):
        publish.chapter_notebooks(root)
    proc = run_publish(root, "check")
    assert proc.returncode != 0 and "notebooks/02_not_written_yet" in proc.stderr


def test_missing_parameters_cell_is_reported(tmp_path: Path) -> None:
    """A chapter without a ``parameters`` cell fails the check (and is not executed)."""
    root = make_project(tmp_path, {"noparams": [("code", "seed = 0", [])]})
    with pytest.raises(publish.PublishError, match="noparams.ipynb has 0 cells tagged 'parameters'"):
        publish.check(root)
    result, = publish.execute_all(root)
    assert not result.ok and "parameters" in (result.error or "")
    proc = run_publish(root, "check")
    assert proc.returncode == 1 and "noparams.ipynb has 0 cells tagged 'parameters'" in proc.stderr
    fine = make_project(tmp_path / "fine", {"ok": [("code", "seed = 0", ["parameters"])]})
    proc = run_publish(fine, "check")
    assert proc.returncode == 0 and "1 chapter notebook(s)" in proc.stdout


def test_parameters_environment_and_hidden_cells(tmp_path: Path) -> None:
    """``-p`` overrides reach the kernel; cwd is notebooks/; MOTORKIT_BUILD_DIR is the absolute _build."""
    root = make_project(tmp_path, {"ok": [
        ("markdown", "# A chapter", []),
        ("code", "seed = 0\nlabel = 'default'", ["parameters"]),
        ("code", "import os, json, pathlib\n"
                 "info = {'seed': seed, 'label': label, 'cwd': os.getcwd(),\n"
                 "        'build': os.environ['MOTORKIT_BUILD_DIR'], 'threads': os.environ['OMP_NUM_THREADS']}\n"
                 "pathlib.Path(os.environ['MOTORKIT_BUILD_DIR'], 'info.json').write_text(json.dumps(info))", []),
    ]})
    results = publish.execute_all(root, parameters={"seed": 7, "label": "injected"})
    assert [r.ok for r in results] == [True], results
    info = json.loads((root / "_build" / "info.json").read_text())
    assert info["seed"] == 7 and info["label"] == "injected"
    assert Path(info["cwd"]) == (root / "notebooks").resolve()
    assert Path(info["build"]) == (root / "_build").resolve()
    assert info["threads"]
    executed = nbformat.read(root / "_build" / "executed" / "ok.ipynb", as_version=4)
    tags = [c.metadata.get("tags", []) for c in executed.cells]
    assert ["parameters", "hide-input"] in tags
    assert ["injected-parameters", "hide-input"] in tags
    timings = json.loads((root / "_build" / "executed" / "timings.json").read_text())
    assert timings["chapters"]["ok"]["ok"] is True and timings["chapters"]["ok"]["seconds"] > 0


def test_the_build_folder_variable_takes_an_execution_out_of_build(tmp_path: Path) -> None:
    """``MOTORKIT_BUILD_DIR=DIR python -m motorkit.publish execute ...``: the executed copy, the chapter's
    metrics (its kernel's build folder is DIR) and the timings go under DIR, nothing into ``_build``."""
    root = make_project(tmp_path / "project", {"ok": [
        ("code", "seed = 0", ["parameters"]),
        ("code", "from motorkit.io import build_dir, write_metrics\n"
                 "write_metrics('ok', {'seed': seed, 'build': str(build_dir())})", []),
    ]})
    out = tmp_path / "seed3"
    proc = run_publish(root, "execute", "--only", "ok", "-p", "seed", "3", env={"MOTORKIT_BUILD_DIR": str(out)})
    assert proc.returncode == 0, proc.stderr
    assert not (root / "_build").exists()
    assert json.loads((out / "metrics" / "ok.json").read_text()) == {"seed": 3, "build": str(out.resolve())}
    assert {"executed/ok.ipynb", "executed/timings.json"} <= files_in(out)
    assert json.loads((out / "executed" / "timings.json").read_text())["chapters"]["ok"]["parameters"] == {"seed": 3}


def test_one_build_folder_for_execute_build_student_and_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--build-dir DIR`` and ``MOTORKIT_BUILD_DIR=DIR`` are one switch: execute, the book build (staged
    sources, HTML, log), the student edition and the course's run times all use DIR, never ``_build``.

    papermill and npm are stood in for; Jupyter Book really builds the one-chapter book.
    """
    import papermill

    root = make_project(tmp_path / "project", {"ok": [
        ("markdown", "# A chapter", []),
        ("code", "seed = 0", ["parameters"]),
        ("code", "answer = ...", ["exercise"]),
    ]})
    (root / "_config.yml").write_text('title: A small book\nexecute:\n  execute_notebooks: "off"\n')
    (root / "book").mkdir()
    out = tmp_path / "elsewhere"
    kernels = []

    def execute_notebook(source: str, output: str, **kwargs) -> None:  # a kernel that runs nothing
        kernels.append(os.environ["MOTORKIT_BUILD_DIR"])
        Path(output).write_bytes(Path(source).read_bytes())

    def vendor(root: Path, build: Path) -> Path:  # npm ci, without npm
        (build / "extra" / "vendor").mkdir(parents=True, exist_ok=True)
        return build / "extra"

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    monkeypatch.setattr(gate, "vendor", vendor)
    assert publish.main(["execute", "--root", str(root), "--build-dir", str(out)]) == 0
    assert publish.main(["build", "--no-strict", "--root", str(root), "--build-dir", str(out)]) == 0
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", str(out))
    assert publish.main(["student", "--root", str(root)]) == 0
    assert publish.main(["course", "--root", str(root)]) == 0
    assert not (root / "_build").exists()
    assert kernels == [str(out.resolve())]
    assert {"executed/ok.ipynb", "executed/timings.json", "src/_toc.yml", "src/notebooks/ok.ipynb",
            "src/student/ok.ipynb", "html/index.html", "html/notebooks/ok.html", "jb-build.log",
            "student/ok.ipynb"} <= files_in(out)
    assert "cached_seconds" in json.loads((root / "book" / "course_times.json").read_text())["chapters"]["ok"]


def test_parameter_values_are_typed() -> None:
    """``-p`` values are read as papermill does: numbers, booleans, None, else strings."""
    assert cli._value("3") == 3 and cli._value("0.5") == 0.5
    assert cli._value("true") is True and cli._value("None") is None
    assert cli._value("arm26") == "arm26"


def test_remote_assets_are_found(tmp_path: Path) -> None:
    """The offline check flags a page that loads a script from the internet, and ignores plain links."""
    (tmp_path / "page.html").write_text(
        '<a href="https://example.org">prose link</a><script src="https://cdn.example.org/x.js"></script>')
    assert publish.remote_assets(tmp_path) == ["page.html: <script> https://cdn.example.org/x.js"]


def test_seeds_run_executes_each_seed_and_reports_which_claims_held(tmp_path: Path) -> None:
    """``publish seeds 1 2``: one build per seed, the science tests run against each, a report of the
    claims per seed and the chapters' numbers; a claim that fails for one seed fails the command."""
    root = make_project(tmp_path, {"ch": [
        ("code", "seed = 0", ["parameters"]),
        ("code", "from motorkit.io import write_metrics\nwrite_metrics('ch', {'value': seed, 'seed': seed})", []),
    ]})
    (root / "tests").mkdir()
    (root / "book").mkdir()
    (root / "tests" / "test_science_toy.py").write_text(
        "from motorkit.io import read_metrics\n\n\n"
        "def test_value_is_small() -> None:\n    \"\"\"The value stays below 1.5. More words.\"\"\"\n"
        "    assert read_metrics('ch')['value'] < 1.5\n\n\n"
        "def test_value_is_not_negative() -> None:\n    assert read_metrics('ch')['value'] >= 0\n")
    proc = run_publish(root, "seeds", "0", "1", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # seed 2 breaks a claim
    report = json.loads((root / "_build" / "seeds" / "robustness.json").read_text())
    assert report["seeds"] == [0, 1, 2] and not report["all_claims_hold"]
    small = report["claims"]["test_science_toy::test_value_is_small"]
    assert small["claim"] == "The value stays below 1.5."
    assert small["outcomes"] == {"0": "passed", "1": "passed", "2": "failed"} and not small["held_for_every_seed"]
    assert report["claims"]["test_science_toy::test_value_is_not_negative"]["held_for_every_seed"]
    assert report["by_seed"]["2"]["numbers"]["ch"]["value"] == 2.0
    assert (root / "_build" / "seeds" / "1" / "cache").is_symlink()  # models shared with the main build
    assert json.loads((root / "book" / "robustness.json").read_text()) == report  # the committed copy
    assert "FAILED for seed 2: test_science_toy::test_value_is_small" in proc.stdout
    other = tmp_path / "other-build"  # no seed 0 or 2: the committed copy keeps seeds 0-2
    proc = run_publish(root, "seeds", "1", "--build-dir", str(other))
    assert proc.returncode == 0 and "left as it is" in proc.stdout
    assert json.loads((root / "book" / "robustness.json").read_text()) == report
    assert json.loads((other / "seeds" / "robustness.json").read_text())["seeds"] == [1]  # the run in that build
    assert (other / "seeds" / "1" / "cache").resolve() == (other / "cache").resolve()
    assert (root / "_build" / "seeds" / "robustness.json").read_text() == json.dumps(report, indent=1, sort_keys=True) + "\n"
    assert run_publish(root, "execute", "3").returncode != 0  # seed numbers belong to 'seeds' only
    # a claim restated: the builds already there are checked again, nothing executed
    test_file = root / "tests" / "test_science_toy.py"
    test_file.write_text(test_file.read_text().replace("< 1.5", "< 2.5"))
    executed = (root / "_build" / "seeds" / "2" / "executed" / "timings.json").stat().st_mtime_ns
    proc = run_publish(root, "seeds", "0", "1", "2", "--check-only")
    assert proc.returncode == 0 and "executing" not in proc.stdout, proc.stdout + proc.stderr
    assert (root / "_build" / "seeds" / "2" / "executed" / "timings.json").stat().st_mtime_ns == executed
    assert json.loads((root / "book" / "robustness.json").read_text())["all_claims_hold"]
    proc = run_publish(root, "seeds", "5", "--check-only")
    assert proc.returncode == 1 and "no executed build of seed 5" in proc.stderr


def test_glue_values_glues_numpy_scalars_as_python_numbers(monkeypatch) -> None:
    import numpy as np
    import myst_nb

    from motorkit.publish.glue import glue_values

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda key, value, display=True: seen.update({key: (value, display)}))
    glue_values({"a": np.float32(0.5), "b": np.int64(3), "c": "text", "d": 1.25})
    assert seen == {"a": (0.5, False), "b": (3, False), "c": ("text", False), "d": (1.25, False)}
    assert type(seen["a"][0]) is float and type(seen["b"][0]) is int


def test_glue_values_as_floats_and_as_markdown(monkeypatch) -> None:
    import myst_nb
    from IPython.display import Markdown

    from motorkit.publish.glue import glue_values

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda key, value, display=True: seen.update({key: value}))
    glue_values({"n": 3, "x": 0.5}, as_float=True)
    assert seen == {"n": 3.0, "x": 0.5} and type(seen["n"]) is float
    glue_values({"verdict": "form a *ring*"}, markdown=True)
    assert isinstance(seen["verdict"], Markdown) and seen["verdict"].data == "form a *ring*"
