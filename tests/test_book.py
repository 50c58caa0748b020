"""The published book: every chapter executes, the book builds, and each page works in a real browser.

The chapters are executed and the book is built once per session (``tests/conftest.py``). The
browser tests serve ``_build/html`` on 127.0.0.1 and open every page in Debian's headless Chromium
through Playwright: no JavaScript errors, every image loaded, no request leaving the machine,
equations typeset, widgets drawn. Full-page screenshots go to ``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from browser import chromium_context
from motorkit import publish
from motorkit.io import build_dir

ROOT = Path(__file__).resolve().parents[1]
BUILD = build_dir(ROOT)  # the build conftest's fixtures made (MOTORKIT_BUILD_DIR, else _build)

pytestmark = pytest.mark.slow

#: Chapters whose kernel-free widgets the browser tests drive (page paths in the built book).
WIDGET_PAGES = ("notebooks/01_effectors.html", "notebooks/07_generalization.html", "notebooks/08_savings.html")


def _toc_entries() -> list[str]:
    """The ``_toc.yml`` entries (an unreadable toc yields none; ``test_toc`` reports why)."""
    try:
        return publish.toc_entries(ROOT)
    except Exception:
        return []


def _chapter_stems() -> list[str]:
    """Stems of the chapter notebooks the toc lists and that exist (``test_toc`` reports missing ones)."""
    return [Path(e).name for e in _toc_entries() if e.startswith("notebooks/") and (ROOT / f"{e}.ipynb").exists()]


#: Every page of the book: the toc entries, plus Sphinx's own index and search pages.
PAGES = [f"{entry}.html" for entry in _toc_entries()] + ["genindex.html", "search.html"]


# --------------------------------------------------------------------------------------------------
# Execution and build


def test_toc_entries_exist_and_chapters_have_parameters() -> None:
    """Every ``_toc.yml`` entry names a file, and every chapter has exactly one ``parameters`` cell."""
    publish.check(ROOT)


@pytest.mark.parametrize("stem", _chapter_stems())
def test_chapter_executes(stem: str, executed_chapters: dict[str, publish.ChapterResult]) -> None:
    """Each chapter runs top to bottom through papermill, and its time is recorded."""
    result = executed_chapters[stem]
    assert result.ok, result.error
    assert Path(result.executed).exists()
    timings = json.loads((BUILD / "executed" / "timings.json").read_text())
    assert stem in timings["chapters"]


@pytest.mark.parametrize("stem", _chapter_stems())
def test_chapter_shows_no_warning(stem: str, executed_chapters: dict[str, publish.ChapterResult]) -> None:
    """No cell of the executed chapter prints a warning or a traceback (the book would show it to readers)."""
    executed = json.loads(Path(executed_chapters[stem].executed).read_text())
    scary = [f"cell {cell.get('id')}: {''.join(out.get('text', ''))[:200]}"
             for cell in executed["cells"] for out in cell.get("outputs", [])
             if out.get("name") == "stderr" and re.search(r"Warning|Traceback|Error", "".join(out.get("text", "")))]
    assert not scary, "\n".join(scary)


def test_book_built(built_book: Path) -> None:
    """The book has an index and one page per ``_toc.yml`` entry, and vendored MathJax and widgets."""
    assert (built_book / "index.html").exists()
    missing = [p for p in PAGES if not (built_book / p).exists()]
    assert not missing, f"pages missing from the built book: {missing}"
    assert (built_book / "vendor" / "mathjax" / "tex-mml-chtml.js").exists()
    assert (built_book / "vendor" / "html-manager" / "embed.js").exists()
    assert not list((built_book / "_static").rglob("embed*.js")), "widget JS must not sit under _static"


def test_no_remote_assets(built_book: Path) -> None:
    """No page makes the browser load a script, stylesheet, image or frame from the internet."""
    assert publish.remote_assets(built_book) == []


class _Links(HTMLParser):
    """Collects every href/src of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("href", "src") and v]


def test_internal_links_resolve(built_book: Path) -> None:
    """Every relative link or asset of every page points at a file that exists in the built book."""
    broken = []
    for page in publish.book_pages(built_book):
        parser = _Links()
        parser.feed(page.read_text(errors="replace"))
        for url in parser.urls:
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("#", "//")) or not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(built_book)} -> {url}")
    assert not broken, "broken links:\n" + "\n".join(broken)


# --------------------------------------------------------------------------------------------------
# In the browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static file server that does not log every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        pass


@pytest.fixture(scope="module")
def server(built_book: Path) -> Iterator[str]:
    """``_build/html`` served on 127.0.0.1 at a free port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    """Headless Debian Chromium with a fresh profile; requests off 127.0.0.1 are recorded and blocked."""
    with chromium_context() as context:
        yield context


class _Visit:
    """One page opened in the browser, with everything that went wrong while it loaded."""

    def __init__(self, context: Any, url: str) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}"))
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"))
        context.outside.clear()
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        # MathJax typesets asynchronously: wait for it where a page loads it.
        self.page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => true) : true")
        # Images marked lazy would only load when scrolled to: load them all, then wait.
        self.page.evaluate("() => document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
        self.page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=15_000)

    def broken_images(self) -> list[str]:
        """Sources of images that did not load (``naturalWidth == 0``)."""
        return self.page.evaluate(
            "() => Array.from(document.images).filter(i => i.naturalWidth === 0).map(i => i.currentSrc || i.src)")

    def screenshot(self, page: str) -> Path:
        """Full-page screenshot to ``_build/screenshots/<page>.png`` (folders joined with ``_``)."""
        path = BUILD / "screenshots" / (re.sub(r"\.html$", "", page).replace("/", "_") + ".png")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.mark.parametrize("page", PAGES)
def test_page_in_browser(page: str, server: str, browser_context: Any) -> None:
    """The page loads without JavaScript errors, every image loads, and nothing leaves 127.0.0.1."""
    visit = _Visit(browser_context, server + page)
    try:
        if page in WIDGET_PAGES:  # widgets render asynchronously: screenshot them drawn
            visit.page.wait_for_selector(".jupyter-widgets", state="visible", timeout=15_000)
        visit.screenshot(page)
        assert not visit.errors, "\n".join(visit.errors)
        assert not browser_context.outside, f"requests off the machine: {browser_context.outside}"
        assert all(urlsplit(u).hostname == "127.0.0.1" or u.startswith(("data:", "blob:")) for u in visit.requests)
        assert not visit.broken_images(), f"images that did not load: {visit.broken_images()}"
    finally:
        visit.page.close()


def test_mathjax_typesets_conventions(server: str, browser_context: Any) -> None:
    """The conventions page's equations are typeset by the vendored MathJax, without errors."""
    visit = _Visit(browser_context, server + "book/conventions.html")
    try:
        assert visit.page.evaluate("() => !!(window.MathJax && MathJax.version)"), "MathJax did not load"
        assert visit.page.locator("mjx-container").count() >= 5
        assert visit.page.locator("mjx-merror").count() == 0
        assert any("/vendor/mathjax/" in u for u in visit.requests)
    finally:
        visit.page.close()


def test_search_works_offline(server: str, browser_context: Any) -> None:
    """The book's own search index finds the conventions page."""
    visit = _Visit(browser_context, server + "search.html?q=clockwise")
    try:
        visit.page.wait_for_selector("#search-results li a", timeout=15_000)
        hits = visit.page.eval_on_selector_all("#search-results li a", "links => links.map(a => a.href)")
        assert any("conventions.html" in h for h in hits), hits
        assert not visit.errors, "\n".join(visit.errors)
    finally:
        visit.page.close()


@pytest.mark.parametrize("page", WIDGET_PAGES)
def test_widget_pages_show_widgets_and_figures(page: str, server: str, browser_context: Any) -> None:
    """Chapters with kernel-free widgets show them (rendered offline) and their figures; a slider works."""
    if not (ROOT / page.replace(".html", ".ipynb")).exists():
        pytest.skip(f"{page} has no notebook yet")
    visit = _Visit(browser_context, server + page)
    try:
        widgets = visit.page.locator(".jupyter-widgets")
        widgets.first.wait_for(state="visible", timeout=15_000)
        assert visit.page.locator("[class*='widget-']").count() > 0
        figures = visit.page.locator(".cell_output img")
        assert figures.count() > 0, "no figures in the chapter's outputs"
        assert not visit.broken_images()
        assert any("/vendor/html-manager/embed.js" in u for u in visit.requests)
        # A slider linked in the browser (jslink) must change what the widget shows, with no kernel.
        handle = visit.page.locator(".jupyter-widgets .widget-slider .noUi-handle").first
        if handle.count():
            shown = ("() => Array.from(document.querySelectorAll('.jupyter-widgets img, .jupyter-widgets .widget-html'))"
                     ".filter(e => e.offsetParent !== null).map(e => e.src || e.innerText).join('|')")
            before = visit.page.evaluate(shown)
            handle.focus()
            visit.page.keyboard.press("ArrowRight")
            visit.page.wait_for_timeout(500)
            assert visit.page.evaluate(shown) != before, "moving the slider changed nothing on the page"
            visit.screenshot(page.replace(".html", "_slider_moved.html"))
        assert not visit.errors, "\n".join(visit.errors)
    finally:
        visit.page.close()


def test_exercises_fold_their_solutions_and_link_the_student_notebook(server: str, browser_context: Any) -> None:
    """Chapter 1's exercises: feedback under each scaffold, solutions folded until clicked, and the
    student notebook's download link served (offline, from the book's own folder)."""
    page = "notebooks/01_effectors.html"
    visit = _Visit(browser_context, server + page)
    try:
        feedback = visit.page.locator(".motorkit-feedback")
        assert feedback.count() == 4
        assert visit.page.locator(".motorkit-feedback-unanswered").count() == 2
        assert visit.page.locator(".motorkit-feedback-correct").count() == 2
        solutions = visit.page.locator(".tag_solution details")
        assert solutions.count() == 2
        code = solutions.first.locator(".cell_input")
        assert not code.is_visible(), "a solution is shown unfolded"
        summary = solutions.first.locator("summary")
        assert "Show the solution" in summary.inner_text()
        summary.scroll_into_view_if_needed()
        summary.click()
        code.wait_for(state="visible", timeout=5_000)
        assert "def hand_position" in code.inner_text()
        visit.page.locator("#exercises").scroll_into_view_if_needed()
        path = BUILD / "screenshots" / "01_effectors_exercises.png"
        visit.page.screenshot(path=str(path))
        link = visit.page.locator("a.download[href$='01_effectors.ipynb']")
        assert link.count() == 1
        response = visit.page.request.get(link.evaluate("a => a.href"))
        assert response.ok
        notebook = json.loads(response.body())
        assert not [c for c in notebook["cells"] if "solution" in c["metadata"].get("tags", [])]
        assert not visit.errors, "\n".join(visit.errors)
    finally:
        visit.page.close()
