"""The book's machinery: executing and publishing the chapters, never part of the science.

- :mod:`~motorkit.publish.chapters`: the chapters ``_toc.yml`` lists, and their ``parameters`` cells.
- :mod:`~motorkit.publish.gate`: the papermill gate: execute every chapter into ``<build>/executed``,
  stage and build the HTML book, vendor its JavaScript (its public API is re-exported here, e.g.
  ``publish.execute_all``, with that of ``chapters``).
- :mod:`~motorkit.publish.cli`: the command line, ``python -m motorkit.publish`` (``publish.main``).
- :mod:`~motorkit.publish.sphinx_fixes`: the Sphinx extension with the fixes the book's HTML needs.
- :mod:`~motorkit.publish.widgets`: chapter widgets that work live in a kernel and kernel-free in the book.
- :mod:`~motorkit.publish.html`: HTML helpers for chapter outputs (tables, self-contained animations).
- :mod:`~motorkit.publish.glue`: numbers for a chapter's text (``glue_values``).

``<build>`` is the build folder, :func:`motorkit.io.build_dir` (``$MOTORKIT_BUILD_DIR``, else ``_build``).
"""

from motorkit.publish.chapters import (
    PARAMETERS_TAG,
    SOURCE_SUFFIXES,
    PublishError,
    chapter_notebooks,
    check,
    entry_source,
    parameters_problem,
    toc_entries,
)
from motorkit.publish.cli import main
from motorkit.publish.gate import (
    HIDE_TAG,
    INJECTED_TAG,
    VENDORED,
    ChapterResult,
    book_pages,
    build,
    execute_all,
    execute_chapter,
    raise_for_failures,
    remote_assets,
    stage,
    vendor,
)

__all__ = [
    "PARAMETERS_TAG", "INJECTED_TAG", "HIDE_TAG", "SOURCE_SUFFIXES", "VENDORED", "PublishError", "ChapterResult",
    "toc_entries", "entry_source", "chapter_notebooks", "parameters_problem", "check", "execute_chapter",
    "execute_all", "raise_for_failures", "vendor", "stage", "book_pages", "remote_assets", "build", "main",
]
