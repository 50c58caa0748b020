"""A Sphinx extension with the fixes the book's HTML needs (loaded through ``_config.yml``).

1. With Sphinx 7.4, an inline script that an extension adds while the documents are read
   (sphinx-thebe and sphinx-togglebutton do, and Jupyter Book 1 always loads both) reaches every page
   twice: once as ``_JavaScript(None, body=...)`` and once as ``_JavaScript('', body=...)``, which
   Sphinx does not see as equal. sphinx-thebe's copy declares ``const THEBE_JS_URL``, so the second
   one is a JavaScript error on every page. The duplicate is dropped before the page is written.
2. The ipywidgets HTML manager (``embed.js``) typesets widget labels with MathJax 2's
   ``MathJax.Hub.Queue``; the book serves MathJax 3, where that is a JavaScript error on every page
   with both widgets and equations. Pages that load ``embed.js`` get a small shim that maps the
   call onto MathJax 3's ``typesetPromise``.
3. Citations read "(Codol et al., 2024)" and "Codol et al. (2024)": sphinxcontrib-bibtex's
   author-year style uses square brackets, so a round-bracket variant is registered as
   ``author_year_round`` (the ``bibtex_reference_style`` in ``_config.yml``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sphinxcontrib.bibtex.plugin
from sphinx.application import Sphinx
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _round() -> BracketStyle:
    """Round brackets, as in (Author, year)."""
    return BracketStyle(left="(", right=")")


@dataclasses.dataclass
class RoundAuthorYearStyle(AuthorYearReferenceStyle):
    """Author-year citations in round brackets."""

    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_author: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_label: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_year: BracketStyle = dataclasses.field(default_factory=_round)


def _key(script: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Identity of a script tag: its file (None and '' alike) and its attributes."""
    attributes = getattr(script, "attributes", {})
    return (getattr(script, "filename", None) or "", tuple(sorted((k, str(v)) for k, v in attributes.items())))


#: Defined before the widget manager renders (it waits for ``load``; this runs at ``DOMContentLoaded``).
MATHJAX2_HUB_SHIM = """document.addEventListener("DOMContentLoaded", function () {
  var mj = window.MathJax;
  if (!mj || mj.Hub) { return; }
  mj.Hub = { Queue: function (job) {
    var element = job && job[2];
    if (!element || !mj.typesetPromise) { return; }
    return mj.startup.promise.then(function () { return mj.typesetPromise([element]); });
  } };
});"""


def fix_page_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                     doctree: Any) -> None:
    """Add the MathJax shim where widgets render; keep the first of identical script tags (in place)."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    if any((getattr(s, "filename", None) or "").endswith("html-manager/embed.js") for s in scripts):
        app.add_js_file(None, body=MATHJAX2_HUB_SHIM)
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the citation style, and the page handler late (after every extension added its scripts)."""
    sphinxcontrib.bibtex.plugin.register_plugin(
        "sphinxcontrib.bibtex.style.referencing", "author_year_round", RoundAuthorYearStyle, force=True)
    app.connect("html-page-context", fix_page_scripts, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
