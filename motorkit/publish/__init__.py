"""The book's machinery: executing and publishing the chapters, never part of the science.

- :mod:`~motorkit.publish.gate`: the papermill gate: execute every chapter into ``_build/executed``,
  stage and build the HTML book, vendor its JavaScript, check the chapters
  (``python -m motorkit.publish``; its public API is re-exported here, e.g. ``publish.execute_all``).
- :mod:`~motorkit.publish.sphinx_fixes`: the Sphinx extension with the fixes the book's HTML needs.
- :mod:`~motorkit.publish.widgets`: chapter widgets that work live in a kernel and kernel-free in the book.
- :mod:`~motorkit.publish.html`: HTML helpers for chapter outputs (tables, self-contained animations).
- :mod:`~motorkit.publish.glue`: numbers for a chapter's text (``glue_values``).
"""

from motorkit.publish.gate import (
    HIDE_TAG,
    INJECTED_TAG,
    PARAMETERS_TAG,
    SOURCE_SUFFIXES,
    VENDORED,
    ChapterResult,
    PublishError,
    book_pages,
    build,
    chapter_notebooks,
    check,
    entry_source,
    execute_all,
    execute_chapter,
    main,
    parameters_problem,
    raise_for_failures,
    remote_assets,
    stage,
    toc_entries,
    vendor,
)

__all__ = [
    "PARAMETERS_TAG", "INJECTED_TAG", "HIDE_TAG", "SOURCE_SUFFIXES", "VENDORED", "PublishError", "ChapterResult",
    "toc_entries", "entry_source", "chapter_notebooks", "parameters_problem", "check", "execute_chapter",
    "execute_all", "raise_for_failures", "vendor", "stage", "book_pages", "remote_assets", "build", "main",
]
