"""Debian's headless Chromium through Playwright, for the browser tests (the book, and the live lab).

Playwright drives ``/usr/bin/chromium`` and never downloads a browser. Every request that leaves
127.0.0.1 is recorded in ``context.outside`` and blocked: the book and the lab must work offline.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def chromium_context(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """Headless Chromium with a fresh profile; requests off 127.0.0.1 are recorded and blocked."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (.ci/run does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="motorkit-chromium-")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        context.outside = []  # type: ignore[attr-defined]

        def route(route: Any) -> None:
            url = route.request.url
            if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:", "about:")):
                route.continue_()
            else:
                context.outside.append(url)  # type: ignore[attr-defined]
                route.abort()

        context.route("**/*", route)
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
