"""The papermill gate: execute every chapter with papermill, then render the executed copies.

The book is never built from the sources in ``notebooks/``. Each chapter listed in ``_toc.yml``
(:mod:`motorkit.publish.chapters`) is executed by papermill (its ``parameters`` cell can be
overridden) into ``<build>/executed/``; Jupyter Book then renders those copies, with execution off,
into ``<build>/html/``. A failing cell fails the whole command, naming the notebook and the cell.
The command line is :mod:`motorkit.publish.cli` (``python -m motorkit.publish``).

Everything goes into one build folder, ``<build>``: the ``build`` argument of each function, by
default :func:`motorkit.io.build_dir` (``$MOTORKIT_BUILD_DIR``, else ``<root>/_build``). Chapter
kernels run in this Python (the project's venv), with the notebooks folder as working directory and
``MOTORKIT_BUILD_DIR`` set to the absolute build folder, so that their models and metrics go there too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import nbformat

from motorkit.io import build_dir, compile_cache_dir
from motorkit.publish.chapters import (
    PARAMETERS_TAG,
    SOURCE_SUFFIXES,
    PublishError,
    chapter_notebooks,
    entry_source,
    parameters_problem,
    toc_entries,
)
from motorkit.publish.course import with_run_times, write_course_table
from motorkit.publish.student import write_student

#: Tag of the cell papermill inserts after the ``parameters`` cell.
INJECTED_TAG = "injected-parameters"
#: Tag the executed copy gets on both, so the book shows them collapsed ("Show code cell source").
HIDE_TAG = "hide-input"
#: What ``vendor`` copies out of node_modules (package folder, files or folders inside it, destination).
VENDORED: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "@jupyter-widgets/html-manager",
        ("dist/embed.js", "dist/embed.js.LICENSE.txt", "dist/*.woff", "dist/*.woff2", "dist/*.ttf",
         "dist/*.eot", "dist/*.svg", "package.json"),
        "html-manager",
    ),
    ("mathjax", ("es5/*", "LICENSE", "package.json"), "mathjax"),
)


@dataclass
class ChapterResult:
    """The outcome of executing one chapter notebook."""

    stem: str
    source: str
    executed: str
    seconds: float
    error: str | None = None
    #: Networks the chapter trained (new entries in the model cache): 0 when it found them all cached.
    trained: int = 0

    @property
    def ok(self) -> bool:
        """True when every cell ran."""
        return self.error is None


# --------------------------------------------------------------------------------------------------
# Executing chapters


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block (the kernels inherit them)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _kernel_environment(build: Path) -> dict[str, str]:
    """Environment for chapter kernels: build folder, thread counts, and a kernelspec that runs *this* Python.

    The ``python3`` kernelspec written under ``<build>/jupyter`` comes first on ``JUPYTER_PATH``, so a
    stray user-level kernelspec can never run the chapters in some other interpreter.
    """
    spec_dir = build / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.log_level=ERROR"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": True},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    jupyter_path = os.pathsep.join(p for p in (str(build / "jupyter"), os.environ.get("JUPYTER_PATH", "")) if p)
    return {
        "MOTORKIT_BUILD_DIR": str(build),
        "MOTORKIT_METRICS_DIR": str(build / "metrics"),  # a book build writes its own metrics, even from `make lab`
        "TORCHINDUCTOR_CACHE_DIR": str(compile_cache_dir(build)),
        "JUPYTER_PATH": jupyter_path,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
        "MKL_NUM_THREADS": os.environ.get("MKL_NUM_THREADS", "2"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: How much of a failing cell's traceback the error message repeats (the executed copy has all of it).
_TRACEBACK_LINES = 25


def _failing_cell(notebook: Path, executed: Path, exc: BaseException) -> str:
    """Describe the failing cell: where it is in the source notebook, its error, and its source.

    papermill adds banner cells to its output, so the cell is located in the executed copy (first code
    cell with an error output or marked as the exception) and then matched back to the source notebook.
    """
    source: str = getattr(exc, "source", "") or ""
    count = getattr(exc, "exec_count", None)
    traceback: list[str] = list(getattr(exc, "traceback", None) or [])
    if hasattr(exc, "ename"):  # papermill's PapermillExecutionError
        what = f"{exc.ename}: {getattr(exc, 'evalue', '')}"
    else:  # a dead kernel, a timeout, ...
        what = f"{type(exc).__name__}: {exc}"
    if executed.exists():
        for cell in nbformat.read(executed, as_version=4).cells:
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if cell.cell_type == "code" and (errors or cell.get("metadata", {}).get("papermill", {}).get("exception")):
                source, count = cell.source, cell.get("execution_count")
                if errors:
                    what = f"{errors[0].get('ename')}: {errors[0].get('evalue')}"
                    traceback = list(errors[0].get("traceback", []))
                break
    cells = nbformat.read(notebook, as_version=4).cells
    number = next((i + 1 for i, c in enumerate(cells) if c.cell_type == "code" and c.source == source), None)
    where = f"cell {number}" if number else "a cell"
    if count is not None:
        where += f" (In [{count}])"
    first_line = (what.strip().splitlines() or [""])[0]
    tb_lines = _ANSI.sub("", "\n".join(traceback)).splitlines()[-_TRACEBACK_LINES:]
    return (f"{notebook} failed in {where}: {first_line}\n"
            f"--- failing cell source ---\n{source.rstrip()}\n"
            + ("--- traceback (last lines) ---\n" + "\n".join(tb_lines) + "\n" if tb_lines else "")
            + f"---\n(executed copy: {executed})")


def _hide_parameter_cells(executed: Path) -> None:
    """Tag the ``parameters`` and ``injected-parameters`` cells of an executed copy ``hide-input``."""
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if (PARAMETERS_TAG in tags or INJECTED_TAG in tags) and HIDE_TAG not in tags:
            tags.append(HIDE_TAG)
    nbformat.write(nb, executed)


def execute_chapter(
    notebook: Path,
    build: Path,
    parameters: dict[str, Any] | None = None,
    timeout: float | None = None,
) -> ChapterResult:
    """Execute one chapter with papermill into ``build/executed/<stem>.ipynb`` (never raises on a failing cell)."""
    import papermill as pm

    executed = build / "executed" / f"{notebook.stem}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    error: str | None = None
    problem = parameters_problem(notebook)
    cached = _cached_models(build)
    start = time.perf_counter()
    if problem:
        error = f"{notebook}: {problem}"
    else:
        print(f"[publish] executing {notebook.name} ...", flush=True)
        try:
            with _environ(_kernel_environment(build)):
                pm.execute_notebook(
                    str(notebook),
                    str(executed),
                    parameters=parameters or {},
                    kernel_name="python3",
                    cwd=str(notebook.parent),
                    progress_bar=False,
                    execution_timeout=timeout,
                )
        except Exception as exc:  # papermill's error, a dead kernel or a timeout: name the cell
            error = _failing_cell(notebook, executed, exc)
        if executed.exists():
            _hide_parameter_cells(executed)
    seconds = time.perf_counter() - start
    trained = len(_cached_models(build) - cached)
    status = "FAILED" if error else "ok"
    print(f"[publish] {notebook.name}: {status} in {seconds:.1f} s ({trained} network(s) trained)", flush=True)
    return ChapterResult(notebook.stem, str(notebook), str(executed), round(seconds, 2), error, trained)


def _cached_models(build: Path) -> set[str]:
    """The trained models in the build's model cache (one folder each)."""
    models = build / "cache" / "models"
    return {p.name for p in models.iterdir() if p.is_dir()} if models.is_dir() else set()


def execute_all(
    root: Path,
    parameters: dict[str, Any] | None = None,
    only: Sequence[str] = (),
    timeout: float | None = None,
    build: Path | None = None,
) -> list[ChapterResult]:
    """Execute every chapter (or those whose stems are in ``only``), keep going past failures, write timings.

    Everything goes to ``build`` (default :func:`motorkit.io.build_dir`): the executed copies, the
    chapters' metrics and models. Timings are merged into ``<build>/executed/timings.json`` (seconds per
    chapter, status, how many networks it trained, and the first-run and cached run times that the
    instructor notes show: ``motorkit.publish.course``).
    """
    build = (build_dir(root) if build is None else build).resolve()
    notebooks = chapter_notebooks(root)
    unknown = set(only) - {nb.stem for nb in notebooks}
    if unknown:
        raise PublishError(f"not a chapter in _toc.yml: {', '.join(sorted(unknown))}")
    selected = [nb for nb in notebooks if not only or nb.stem in only]
    results = [execute_chapter(nb, build, parameters, timeout) for nb in selected]

    timings_path = build / "executed" / "timings.json"
    timings_path.parent.mkdir(parents=True, exist_ok=True)
    timings: dict[str, Any] = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    chapters = timings.get("chapters", {})
    for r in results:
        entry = {"seconds": r.seconds, "ok": r.ok, "trained": r.trained, "parameters": parameters or {}}
        chapters[r.stem] = with_run_times(entry, chapters.get(r.stem))
    chapters = {nb.stem: chapters[nb.stem] for nb in notebooks if nb.stem in chapters}
    timings = {"chapters": chapters, "total_seconds": round(sum(c["seconds"] for c in chapters.values()), 2)}
    timings_path.write_text(json.dumps(timings, indent=2) + "\n")
    return results


def raise_for_failures(results: Sequence[ChapterResult]) -> None:
    """Raise one ``PublishError`` naming every failed chapter and its failing cell."""
    failed = [r for r in results if not r.ok]
    if failed:
        raise PublishError(f"{len(failed)} chapter(s) failed:\n\n" + "\n\n".join(r.error or "" for r in failed))


# --------------------------------------------------------------------------------------------------
# Vendoring JavaScript and building the HTML


def _digest(*paths: Path) -> str:
    """SHA-256 over the contents of ``paths``."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()


def vendor(root: Path, build: Path | None = None) -> Path:
    """``npm ci`` the pinned widget manager and MathJax, and copy what the book serves into ``<build>/extra/vendor``.

    Skipped when the copy matches the current ``package-lock.json``. The folder becomes the book's
    ``html_extra_path``, so the files land at ``<html>/vendor/`` (not under ``_static``).
    """
    extra = (build_dir(root) if build is None else build) / "extra"
    stamp = extra / ".package-lock.sha256"
    digest = _digest(root / "package.json", root / "package-lock.json")
    if stamp.exists() and stamp.read_text() == digest:
        return extra
    npm = shutil.which("npm")
    if npm is None:
        raise PublishError("npm not found: install Node.js and npm (see README.md), then run `make vendor`")
    print("[publish] npm ci (widget manager and MathJax) ...", flush=True)
    proc = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=root,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise PublishError(f"npm ci failed:\n{proc.stdout}\n{proc.stderr}")
    shutil.rmtree(extra, ignore_errors=True)
    for package, patterns, dest in VENDORED:
        src, out = root / "node_modules" / package, extra / "vendor" / dest
        out.mkdir(parents=True, exist_ok=True)
        for pattern in patterns:
            matches = sorted(src.glob(pattern))
            if not matches:
                raise PublishError(f"{package}: nothing matches {pattern}")
            for path in matches:
                target = out / path.name
                shutil.copytree(path, target) if path.is_dir() else shutil.copy2(path, target)
    stamp.write_text(digest)
    return extra


def _link_or_copy(src: str, dst: str) -> None:
    """Hard-link a file (fast, no extra disk), copying when linking is not possible."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def stage(root: Path, build: Path | None = None) -> Path:
    """Assemble ``<build>/src``: config, toc, ``book/``, the *executed* chapters, their student edition and the
    vendored JS."""
    build = build_dir(root) if build is None else build
    src = build / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, src / name)
    if (root / "book").is_dir():
        shutil.copytree(root / "book", src / "book", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for entry in toc_entries(root):
        source = entry_source(root, entry)
        rel = source.relative_to(root)
        if rel.parts[0] == "book":
            continue
        if source.suffix == ".ipynb":
            source = build / "executed" / source.name
            if not source.exists():
                raise PublishError(f"{rel} has not been executed: run `python -m motorkit.publish execute` first")
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, src / rel)
    # The student edition, which every chapter links for download ({download}`../student/<stem>.ipynb`).
    write_student(root, src / "student")
    # The instructor notes' course at a glance, with the run times measured in this build.
    write_course_table(root, src, build)
    # Assets beside the chapters (images a notebook's markdown links to), but never the unexecuted sources.
    notebooks = root / "notebooks"
    if notebooks.is_dir():
        for path in notebooks.rglob("*"):
            rel = path.relative_to(root)
            if path.is_file() and path.suffix not in SOURCE_SUFFIXES and ".ipynb_checkpoints" not in rel.parts:
                (src / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, src / rel)
    shutil.copytree(vendor(root, build), src / "_extra", copy_function=_link_or_copy)
    return src


#: Sphinx/Jupyter Book messages that fail the build. Anything Sphinx calls a WARNING or ERROR does.
_PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b")
#: Tags and attributes through which a page makes the browser load something.
_LOADED = re.compile(r"<(script|link|img|iframe|source|video|audio|embed)\b[^>]*?\b(src|href)\s*=\s*[\"']([^\"']+)", re.I)


def book_pages(html_dir: Path) -> list[Path]:
    """The built book's HTML pages (not the theme's templates under ``_static`` nor vendored files)."""
    skip = {"_static", "_sources", "_images", "vendor"}
    return [p for p in sorted(html_dir.rglob("*.html")) if p.relative_to(html_dir).parts[0] not in skip]


def remote_assets(html_dir: Path) -> list[str]:
    """``page: url`` for every script, stylesheet, image or frame a built page loads from http(s)."""
    found = []
    for page in book_pages(html_dir):
        for tag, _attr, url in _LOADED.findall(page.read_text(errors="replace")):
            if url.startswith(("http://", "https://", "//")):
                found.append(f"{page.relative_to(html_dir)}: <{tag}> {url}")
    return found


#: What ``jb build`` writes that belongs in the build folder itself (the rest stays in ``<build>/.jb``).
_JB_OUTPUTS: tuple[str, ...] = ("html", ".doctrees")


def _jb_output(build: Path) -> Path:
    """The ``--path-output`` that makes ``jb build`` write ``html/`` and ``.doctrees/`` into ``build``, whatever its name.

    ``jb build`` writes into ``<path-output>/_build/``: here ``<build>/.jb/_build/``, whose ``html`` and
    ``.doctrees`` are links to the build folder's own (links to siblings, never to a parent: no loops).
    """
    output = build / ".jb"
    for name in _JB_OUTPUTS:
        target, link = build / name, output / "_build" / name
        target.mkdir(parents=True, exist_ok=True)
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(Path(os.pardir, os.pardir, name), target_is_directory=True)
    return output


def build(root: Path, strict: bool = True, build: Path | None = None) -> Path:
    """Render the executed chapters into ``<build>/html`` with ``jb build`` (execution off); return index.html.

    ``build`` defaults to :func:`motorkit.io.build_dir`. With ``strict`` (the default) every Sphinx
    warning fails the build; all of them are reported.
    """
    build = (build_dir(root) if build is None else build).resolve()
    src = stage(root, build)
    cmd = [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
           "build", str(src), "--path-output", str(_jb_output(build)), "--builder", "html"]
    if strict:
        cmd += ["--warningiserror", "--keep-going"]
    print("[publish] jb build (execution off) ...", flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    log = _ANSI.sub("", proc.stdout + proc.stderr)  # no colour codes in the log
    (build / "jb-build.log").write_text(log)
    problems = [line for line in log.splitlines() if _PROBLEM.search(line)]
    if proc.returncode != 0 or (strict and problems):
        shown = "\n".join(problems) or log[-4000:]
        raise PublishError(f"jb build failed (exit {proc.returncode}); full log in {build / 'jb-build.log'}:\n{shown}")
    index = build / "html" / "index.html"
    if not index.exists():
        raise PublishError(f"jb build produced no {index}")
    remote = remote_assets(build / "html")
    if remote:
        raise PublishError("the built book loads files from the internet:\n" + "\n".join(remote))
    print(f"[publish] built in {time.perf_counter() - start:.1f} s", flush=True)
    return index
