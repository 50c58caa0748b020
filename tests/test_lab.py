"""Chapter 1 run live in JupyterLab, started exactly as ``make lab`` starts it, and driven in Chromium.

The server serves a working copy (``motorkit.publish.lab``) in a temporary folder, on 127.0.0.1 at a
free port with a random token. In the browser: no pop-up covers the notebook, Run All runs every cell
without an error or a warning on stderr, and chapter 1's live widget (Figure 1.8: muscle sliders
over an ``ipywidgets.interactive``) draws a new figure from the kernel when a slider moves.
Afterwards the committed notebook and the book build's metrics are byte-identical.
Screenshots go to ``_build/screenshots/lab/``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from browser import chromium_context
from motorkit.publish import lab as mklab

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "01_effectors.ipynb"
SCREENSHOTS = ROOT / "_build" / "screenshots" / "lab"
#: Seconds allowed: the server to answer, the notebook to open with an idle kernel, Run All, one slider move.
SERVER_TIMEOUT, OPEN_TIMEOUT, RUN_ALL_TIMEOUT, SLIDER_TIMEOUT = 120, 180, 480, 120

pytestmark = [pytest.mark.lab, pytest.mark.slow]


@dataclass
class Server:
    """A running JupyterLab: its base URL, token, lab folders and log file."""

    url: str
    token: str
    lab: mklab.Lab
    log: Path

    def api(self, path: str) -> Any:
        """GET ``/api/...`` (or any path) as JSON, with the token."""
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server's log, for failure messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition: Callable[[], Any], timeout: float, what: str | Callable[[], str], server: Server | None = None,
          every: float = 1.0, page: Any = None) -> Any:
    """Poll ``condition`` until it returns something true; fail saying ``what`` (and the server log) on timeout.

    With a ``page``, sleep through ``page.wait_for_timeout``: the browser's requests pass through a
    Python route handler (``tests/browser.py``), which runs only while Playwright has control.
    """
    end = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except Exception:  # noqa: BLE001 (a server still starting refuses connections)
            result = None
        if result:
            return result
        if time.monotonic() > end:
            log = f"\n--- JupyterLab log (last lines) ---\n{server.log_tail()}" if server else ""
            what = what() if callable(what) else what
            if page is not None:
                _shot(page, "failure")
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}{log}", pytrace=False)
        if page is not None:
            page.wait_for_timeout(every * 1000)
        else:
            time.sleep(every)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group (it shuts its kernels down), SIGKILL it if it lingers."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """JupyterLab on a fresh working copy, started by :func:`motorkit.publish.lab.lab_command` as ``make lab`` does."""
    if importlib.util.find_spec("jupyterlab") is None or not mklab.jupyter_lab_executable().exists():
        pytest.fail("JupyterLab is not installed in .venv: run `make test` or `make lab` "
                    "(they install requirements-lab.txt)", pytrace=False)
    # Not under pytest's tmp_path: a folder named "pytest..." on the server's command line would make
    # the chapter's widgets static (motorkit.publish.widgets.widget_mode reads the command lines).
    folder = Path(tempfile.mkdtemp(prefix="motorkit-lab-"))
    lab = mklab.Lab(ROOT, folder)
    mklab.prepare(lab)
    port, token = _free_port(), secrets.token_hex(16)
    cmd, env = mklab.lab_command(lab, port=port, token=token, open_browser=False, allow_root=os.getuid() == 0)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")  # a shared two-core machine
    log = folder / "jupyterlab.log"
    with log.open("w") as out:
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                   start_new_session=True)
    running = Server(f"http://127.0.0.1:{port}/", token, lab, log)
    try:
        _wait(lambda: process.poll() is None and running.api("api/status"), SERVER_TIMEOUT,
              "JupyterLab's /api/status", running)
        yield running
    finally:
        _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def test_server_runs_the_project_kernel_without_news(server: Server) -> None:
    """The notebooks' ``python3`` kernel is this venv's Python; news and update checks are off."""
    specs = server.api("api/kernelspecs")
    assert specs["default"] == "python3"
    assert specs["kernelspecs"]["python3"]["spec"]["argv"][0] == sys.executable
    settings = server.api("lab/api/settings/@jupyterlab/apputils-extension:notification")["settings"]
    assert settings["fetchNews"] == "false" and settings["checkForUpdates"] is False


# --------------------------------------------------------------------------------------------------
# In the browser

#: Every code cell's prompt: "[3]:" when run, "[*]:" while running, "[ ]:" never run. (textContent, not
#: innerText: JupyterLab skips rendering cells out of view, and their innerText is empty.)
PROMPTS = ("() => Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'))"
           ".map(p => p.textContent.trim())")
#: Text of every error and stderr output in the notebook.
STDERR = ("() => Array.from(document.querySelectorAll('.jp-Notebook .jp-OutputArea-output'))"
          ".filter(o => (o.dataset.mimeType || '').includes('stderr')).map(o => o.textContent)")
#: Visible dialogs and notification toasts: what a first-time user would have to click away.
POPUPS = ("() => Array.from(document.querySelectorAll('.jp-Dialog, .jp-toast-message, .Toastify__toast'))"
          ".filter(e => e.offsetParent !== null || e.getClientRects().length).map(e => e.innerText.slice(0, 200))")
#: The live widget's figure: the image in the output of the visible ``interactive`` (Figure 1.8).
LIVE_IMAGE = ("() => { const i = Array.from(document.querySelectorAll('.widget-interact .widget-output img'))"
              ".find(e => e.offsetParent !== null); return i ? i.src : null; }")


def _shot(page: Any, name: str, element: Any = None) -> Path:
    """Screenshot the viewport (or one element) to ``_build/screenshots/lab/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    (element or page).screenshot(path=str(path))
    return path


def _kernel_idle(server: Server) -> bool:
    """True when the chapter's session has a kernel and it is idle."""
    sessions = [s for s in server.api("api/sessions") if s["path"].endswith(CHAPTER)]
    return bool(sessions) and sessions[0]["kernel"]["execution_state"] == "idle"


def _run_all_done(page: Any, server: Server) -> bool:
    """The kernel is idle, and every code cell has an execution count or a cell failed (Run All stops there)."""
    prompts = page.evaluate(PROMPTS)
    numbered = bool(prompts) and all(p[1:-2].strip().isdigit() for p in prompts)
    return (numbered or bool(page.evaluate(STDERR))) and _kernel_idle(server)


def test_chapter_1_runs_live_and_its_widget_recomputes(server: Server) -> None:
    """Run All in JupyterLab: no error, no warning; moving a muscle slider draws a new figure in the kernel."""
    committed = (ROOT / "notebooks" / CHAPTER).read_bytes()
    book_metrics = ROOT / "_build" / "metrics" / CHAPTER.replace(".ipynb", ".json")
    metrics_before = book_metrics.read_bytes() if book_metrics.exists() else None
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    with chromium_context(1400, 1000) as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.goto(f"{server.url}lab/tree/{CHAPTER}?token={server.token}", wait_until="load")
        page.bring_to_front()
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(state="visible", timeout=OPEN_TIMEOUT * 1000)
        _wait(lambda: _kernel_idle(server), OPEN_TIMEOUT, "the chapter's kernel to start", server, page=page)
        page.wait_for_timeout(1500)  # toasts and dialogs appear shortly after the page settles
        _shot(page, "01_opened")
        assert not page.evaluate(POPUPS), f"pop-ups over the notebook: {page.evaluate(POPUPS)}"

        # Run > Run All Cells, as a student would.
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        start = time.monotonic()
        page.wait_for_timeout(2000)
        _wait(lambda: _run_all_done(page, server), RUN_ALL_TIMEOUT, lambda: "Run All to finish (every cell "
              f"numbered, kernel idle; the prompts: {' '.join(page.evaluate(PROMPTS))})", server, every=2.0, page=page)
        print(f"[lab] chapter 1 ran live in {time.monotonic() - start:.0f} s")
        stderr = page.evaluate(STDERR)
        scary = [s for s in stderr if any(w in s for w in ("Warning", "Traceback", "Error"))]
        assert not scary, "errors or warnings in the cells' outputs:\n" + "\n---\n".join(scary)
        unrun = [p for p in page.evaluate(PROMPTS) if not p[1:-2].strip().isdigit()]
        assert not unrun, f"Run All left {len(unrun)} code cells unrun"
        assert not page.evaluate(POPUPS), f"pop-ups after Run All: {page.evaluate(POPUPS)}"

        # Figure 1.8 live: an ipywidgets.interactive whose output is an image drawn by the kernel.
        widget = page.locator(".widget-tab").filter(has=page.locator(".widget-interact")).first
        widget.wait_for(state="visible", timeout=60_000)
        widget.scroll_into_view_if_needed()
        before = _wait(lambda: page.evaluate(LIVE_IMAGE), 60, "the live widget's figure", server, page=page)
        assert before.startswith("data:image/png") or before.startswith("blob:"), before[:80]
        page.wait_for_timeout(1000)  # cells scrolled into view are painted lazily
        _shot(page, "02_run_all")
        _shot(page, "03_widget_before", widget)
        slider = widget.locator(".widget-interact .widget-slider").filter(visible=True).first
        readout = slider.locator(".widget-readout")
        value_before = readout.inner_text()
        track = slider.locator(".noUi-target").bounding_box()
        assert track and track["width"] >= 300, f"slider track only {track and track['width']:.0f} px wide"
        handle = slider.locator(".noUi-handle")
        handle.focus()
        for _ in range(4):
            page.keyboard.press("ArrowRight")  # continuous_update=False: each key press is a change
        _wait(lambda: page.evaluate(LIVE_IMAGE) not in (None, before) and _kernel_idle(server), SLIDER_TIMEOUT,
              "a new figure after moving the slider", server, page=page)
        page.wait_for_timeout(500)
        after = page.evaluate(LIVE_IMAGE)
        assert readout.inner_text() != value_before, "the slider did not move"
        assert after != before, "moving the slider did not change the figure"
        _shot(page, "04_widget_after", widget)
        _shot(page, "05_slider_moved")

        # File > Save Notebook: outputs go to the working copy, whose saved file then shows every output.
        page.locator(".lm-MenuBar-itemLabel", has_text="File").first.click()
        page.locator(".lm-Menu-item[data-command='docmanager:save']").click()
        copy = server.lab.notebooks / CHAPTER
        _wait(lambda: page.locator(".lm-TabBar-tab.jp-mod-dirty").count() == 0 and any(
              c.get("outputs") for c in json.loads(copy.read_text())["cells"] if c["cell_type"] == "code"),
              30, "the working copy to be saved with outputs", server, page=page)
        assert not errors, "\n".join(errors)
        assert not page.evaluate(POPUPS), f"pop-ups at the end: {page.evaluate(POPUPS)}"
        assert not context.outside, f"requests off the machine: {context.outside}"
    cells = [c for c in json.loads(copy.read_text())["cells"] if c["cell_type"] == "code"]
    outputs = [o for c in cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"], "error outputs in the saved copy"
    saved_stderr = ["".join(o["text"]) for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
    scary = [s for s in saved_stderr if any(w in s for w in ("Warning", "Traceback", "Error"))]
    assert not scary, "warnings on stderr in the saved copy:\n" + "\n---\n".join(scary)
    assert (server.lab.metrics / CHAPTER.replace(".ipynb", ".json")).exists(), "the live run wrote no lab metrics"
    assert (ROOT / "notebooks" / CHAPTER).read_bytes() == committed, "the committed notebook changed"
    if metrics_before is not None:
        assert book_metrics.read_bytes() == metrics_before, "the book build's metrics were overwritten"
