"""Shared fixtures: the chapters are executed, and the book built, once per test session.

``executed_chapters`` runs every chapter in ``_toc.yml`` through papermill (``motorkit.publish``)
into ``<build>/executed/``; each chapter also writes ``<build>/metrics/<stem>.json`` there, which is
what the science tests read (ask for this fixture, then ``motorkit.io.read_metrics(stem)``).
``built_book`` renders the executed copies into ``<build>/html``.

``<build>`` is the build folder of ``python -m motorkit.publish``: ``$MOTORKIT_BUILD_DIR`` if set
(``python -m motorkit.publish seeds`` checks the science tests against each seed's build this way),
else ``_build`` (``motorkit.io.build_dir``). Set ``MOTORKIT_REUSE_BUILD=1`` to reuse what an earlier
``make book`` (with the same ``MOTORKIT_BUILD_DIR``) left there instead of executing and building
again (quick iterations on the tests themselves; ``make test`` never sets it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from motorkit import publish
from motorkit.io import build_dir, use_compile_cache

ROOT = Path(__file__).resolve().parents[1]
#: The build the tests read and write: ``$MOTORKIT_BUILD_DIR`` (e.g. a seed build of ``publish seeds``), else ``_build``.
BUILD = build_dir(ROOT)
use_compile_cache()  # unit tests, chapters and their workers share one inductor cache under the build folder


def _reuse() -> bool:
    """True when the session should reuse an existing build (``MOTORKIT_REUSE_BUILD=1``)."""
    return os.environ.get("MOTORKIT_REUSE_BUILD") == "1"


@pytest.fixture(scope="session")
def executed_chapters() -> dict[str, publish.ChapterResult]:
    """Every chapter executed once (results by notebook stem); failures are reported by the tests."""
    timings = BUILD / "executed" / "timings.json"
    if _reuse() and timings.exists():
        recorded = json.loads(timings.read_text())["chapters"]
        results = [
            publish.ChapterResult(nb.stem, str(nb), str(BUILD / "executed" / nb.name),
                                  recorded[nb.stem]["seconds"],
                                  None if recorded[nb.stem]["ok"] else "failed in the reused build")
            for nb in publish.chapter_notebooks(ROOT) if nb.stem in recorded
        ]
    else:
        results = publish.execute_all(ROOT, build=BUILD)
    return {r.stem: r for r in results}


@pytest.fixture(scope="session")
def built_book(executed_chapters: dict[str, publish.ChapterResult]) -> Path:
    """The HTML book in ``<build>/html``, built once from the executed chapters."""
    html = BUILD / "html"
    if _reuse() and (html / "index.html").exists():
        return html
    try:
        publish.build(ROOT, build=BUILD)
    except publish.PublishError as exc:
        pytest.fail(f"the book did not build:\n{exc}", pytrace=False)
    return html


@pytest.fixture(autouse=True, scope="session")
def _one_thread() -> None:
    """One torch thread per test process: tiny ops run faster single-threaded on two cores."""
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def chapter_metrics(executed_chapters: dict[str, publish.ChapterResult]):
    """``chapter_metrics(stem)``: the metrics a chapter wrote, after checking that it executed."""
    from motorkit.io import read_metrics

    def get(stem: str) -> dict:
        result = executed_chapters.get(stem)
        assert result is not None, f"{stem} is not a chapter in _toc.yml"
        assert result.ok, result.error
        return read_metrics(stem)

    return get
