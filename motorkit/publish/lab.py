"""``make lab``: the chapters live in JupyterLab, on a working copy, without touching the book's build.

JupyterLab saves (and autosaves) outputs into the notebooks it opens, and a chapter run live writes
its metrics. So ``python -m motorkit.publish lab`` serves a *working copy* instead:

* ``_build/lab/notebooks/``: the chapters copied from ``notebooks/`` (missing ones are copied; one
  whose source changed is refreshed unless the student edited it: then it is kept, and one line says
  how to get the new version), and in ``student/`` the same for the student edition (the chapters
  without their solutions: where students do the exercises). The committed notebooks are never opened by the server. The chapters
  need nothing else beside them: they import ``motorkit`` (installed editable) and find the model
  cache through :func:`motorkit.io.build_dir`, i.e. ``<repo>/_build/cache``.
* ``_build/lab/metrics/``: where live runs write their metrics (``MOTORKIT_METRICS_DIR``), so that
  ``_build/metrics`` stays the book build's, which the tests read.
* ``_build/lab/settings/`` and ``_build/lab/workspaces/``: JupyterLab's user settings and workspaces,
  local to the lab, with the news and update-check pop-ups switched off.
* ``_build/lab/jupyter/kernels/python3``: the notebooks' ``python3`` kernel, pinned to this Python
  (the project's ``.venv``), first on ``JUPYTER_PATH`` so that no user-level kernelspec shadows it.

:func:`lab_command` gives the server's command line and environment; ``make lab`` and
``tests/test_lab.py`` both start JupyterLab through it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from motorkit.io import compile_cache_dir, shown_path
from motorkit.publish.student import write_student

#: JupyterLab user settings written into the lab's settings folder: ``plugin id -> settings``.
#: The news/update notification asks a first-time user a question in a toast (and would fetch a feed
#: from the internet); the book's kernels need no news.
LAB_SETTINGS: dict[str, dict[str, object]] = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
#: Server options that switch the same things off on the server side (no feed, no version check).
SERVER_OPTIONS: tuple[str, ...] = (
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
)
#: Environment variables that must not reach the lab's kernels. ``MOTORKIT_BUILD_DIR`` is the switch
#: of a build (``motorkit.io.build_dir``), which the lab is not: set, it makes the chapters' widgets
#: static (``widgets.widget_mode`` reads it as a book build), and it would send the live kernels'
#: model lookups to that build's cache. Dropped, the kernels read the shared model cache
#: ``<repo>/_build/cache``, where ``make book`` put the trained networks, so that a chapter run live
#: finds them instead of training them again; what a live run writes goes to the lab's own folders
#: (``MOTORKIT_METRICS_DIR`` below), never into a build.
DROPPED_ENV: tuple[str, ...] = ("MOTORKIT_BUILD_DIR",)


@dataclass(frozen=True)
class Lab:
    """The folders of one lab: ``folder`` (``_build/lab`` for ``make lab``) for a project ``root``."""

    root: Path
    folder: Path

    @property
    def sources(self) -> Path:
        """The committed chapters (never written)."""
        return self.root / "notebooks"

    @property
    def notebooks(self) -> Path:
        """The working copy, the folder JupyterLab serves."""
        return self.folder / "notebooks"

    @property
    def student_edition(self) -> Path:
        """The student edition the lab copies into ``notebooks/student`` (written by :func:`prepare`)."""
        return self.folder / "student-edition"

    @property
    def metrics(self) -> Path:
        """Where live runs write their metrics."""
        return self.folder / "metrics"

    @property
    def settings(self) -> Path:
        """JupyterLab's user settings for this lab."""
        return self.folder / "settings"

    @property
    def workspaces(self) -> Path:
        """JupyterLab's workspaces (open tabs, layout) for this lab."""
        return self.folder / "workspaces"

    @property
    def jupyter(self) -> Path:
        """A Jupyter data folder holding the lab's ``python3`` kernelspec."""
        return self.folder / "jupyter"

    @property
    def manifest(self) -> Path:
        """What was copied: per notebook, the source's hash and the copy's cell hash at copy time."""
        return self.folder / "working-copy.json"


def default_lab(root: Path) -> Lab:
    """The lab of ``make lab``: ``<root>/_build/lab``, beside the shared model cache, whatever the build folder is
    (:data:`DROPPED_ENV`)."""
    return Lab(root, root / "_build" / "lab")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cells_digest(notebook: Path) -> str | None:
    """Hash of a notebook's cell types and sources (outputs, counts and metadata ignored); None if unreadable.

    Running cells changes outputs only, so a copy that was only run still counts as unedited.
    """
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        parts = [[c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"]]
                 for c in cells]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return _sha256(json.dumps(parts).encode())


def sync_working_copy(lab: Lab) -> list[str]:
    """Copy the chapters into ``lab.notebooks``: missing ones, and changed ones the student did not edit.

    The student edition, when ``lab.student_edition`` holds one (:func:`prepare` writes it), goes the
    same way into ``lab.notebooks/student``. Returns one message per notebook kept because both the
    source and the copy changed since the copy was made (how to get the new version). Copies are
    byte-identical to their sources when made.
    """
    lab.notebooks.mkdir(parents=True, exist_ok=True)
    try:
        manifest: dict[str, dict[str, str]] = json.loads(lab.manifest.read_text())["notebooks"]
    except (OSError, ValueError, KeyError):
        manifest = {}
    messages = _sync(lab, lab.sources, lab.notebooks, manifest)
    if lab.student_edition.is_dir():
        messages += _sync(lab, lab.student_edition, lab.notebooks / "student", manifest)
    lab.manifest.parent.mkdir(parents=True, exist_ok=True)
    lab.manifest.write_text(json.dumps({"notebooks": manifest}, indent=1, sort_keys=True) + "\n")
    return messages


def _sync(lab: Lab, sources: Path, copies: Path, manifest: dict[str, dict[str, str]]) -> list[str]:
    """:func:`sync_working_copy` for one folder of ``sources``; ``manifest`` is keyed by path in the copy."""
    copies.mkdir(parents=True, exist_ok=True)
    messages: list[str] = []
    for source in sorted(sources.glob("*.ipynb")):
        data = source.read_bytes()
        copy = copies / source.name
        source_sha, key = _sha256(data), copy.relative_to(lab.notebooks).as_posix()
        recorded = manifest.get(key)
        if copy.exists():
            copy_cells = cells_digest(copy)
            if recorded is not None and recorded.get("source_sha256") == source_sha:
                continue  # source unchanged since the copy: nothing to do, edits or not
            if recorded is None and copy_cells is not None and copy_cells == cells_digest(source):
                manifest[key] = {"source_sha256": source_sha, "cells_sha256": copy_cells}
                continue  # no record (a lost manifest), but the copy has the source's cells: keep its outputs
            if recorded is None or copy_cells is None or copy_cells != recorded.get("cells_sha256"):
                messages.append(
                    f"[lab] {shown_path(source, lab.root)} changed, and your copy has edits: kept yours. For the new "
                    f"version, delete {shown_path(copy, lab.root)} (your edits go with it) and start the lab again.")
                continue
        copy.write_bytes(data)
        manifest[key] = {"source_sha256": source_sha, "cells_sha256": cells_digest(copy) or ""}
    return messages


def write_settings(lab: Lab) -> None:
    """Write :data:`LAB_SETTINGS` into the lab's settings folder, leaving files the student changed alone."""
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.split(":")
        path = lab.settings / package / f"{name}.jupyterlab-settings"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=2) + "\n")
    lab.workspaces.mkdir(parents=True, exist_ok=True)


def write_kernelspec(lab: Lab) -> Path:
    """The ``python3`` kernelspec (the notebooks' kernel name) running this Python, under ``lab.jupyter``."""
    spec_dir = lab.jupyter / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": True, "supported_encryption": ["curve"]},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return spec_dir


def prepare(lab: Lab) -> list[str]:
    """Everything the server needs in ``lab.folder``; returns the working copy's messages."""
    if (lab.root / "_toc.yml").exists():  # the book's chapters, without their solutions, in notebooks/student
        write_student(lab.root, lab.student_edition)
    messages = sync_working_copy(lab)
    lab.metrics.mkdir(parents=True, exist_ok=True)
    write_settings(lab)
    write_kernelspec(lab)
    return messages


def _curve_available() -> bool:
    """Whether this pyzmq can encrypt the kernel's sockets (CurveZMQ)."""
    try:
        import zmq
    except ImportError:
        return False
    return bool(zmq.has("curve"))


def jupyter_lab_executable() -> Path:
    """``jupyter-lab`` beside this Python (its command line is how :mod:`widgets` recognises a live kernel)."""
    return Path(sys.executable).parent / "jupyter-lab"


def lab_command(
    lab: Lab,
    port: int | None = None,
    token: str | None = None,
    open_browser: bool = True,
    allow_root: bool = False,
    extra: Sequence[str] = (),
) -> tuple[list[str], dict[str, str]]:
    """The ``jupyter lab`` command line and environment that serve ``lab.notebooks`` on 127.0.0.1.

    Call :func:`prepare` first. ``token=None`` lets JupyterLab draw one (it prints the URL).
    """
    cmd = [str(jupyter_lab_executable()), "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={lab.notebooks}",
           *SERVER_OPTIONS]
    if _curve_available():  # encrypted kernel sockets: no "Kernel is running over TCP without encryption" warning
        cmd.append("--KernelManager.transport_encryption=auto")
    if port is not None:
        cmd += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if token is not None:
        cmd.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        cmd.append("--no-browser")
    if allow_root:
        cmd.append("--allow-root")
    cmd += list(extra)
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update({
        "MOTORKIT_METRICS_DIR": str(lab.metrics),
        "JUPYTERLAB_SETTINGS_DIR": str(lab.settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(lab.workspaces),
        "JUPYTER_PATH": os.pathsep.join(p for p in (str(lab.jupyter), os.environ.get("JUPYTER_PATH", "")) if p),
        "TORCHINDUCTOR_CACHE_DIR": str(compile_cache_dir(lab.root / "_build")),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    return cmd, env


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m motorkit.publish lab [--port N] [--no-browser] ...``: prepare the lab, then become JupyterLab.

    Options it does not know go to ``jupyter lab`` unchanged.
    """
    parser = argparse.ArgumentParser(prog="python -m motorkit.publish lab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=None, help="port (default: JupyterLab's, 8888 or the next free)")
    parser.add_argument("--token", default=None, help="login token (default: JupyterLab draws one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("--allow-root", action="store_true", help="let JupyterLab run as root")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default: current folder)")
    args, extra = parser.parse_known_args(argv)
    lab = default_lab(args.root.resolve())
    if not jupyter_lab_executable().exists():
        print(f"[lab] JupyterLab is not installed in {Path(sys.executable).parent.parent}: run `make lab`",
              file=sys.stderr)
        return 1
    for message in prepare(lab):
        print(message)
    print(f"[lab] serving {shown_path(lab.notebooks, lab.root)}/, a working copy of notebooks/ (the committed "
          f"notebooks are untouched), with the student edition in student/; live runs write metrics to "
          f"{shown_path(lab.metrics, lab.root)}/", flush=True)
    cmd, env = lab_command(lab, args.port, args.token, not args.no_browser, args.allow_root, extra)
    os.execve(cmd[0], cmd, env)
    return 1  # not reached: execve replaces this process
