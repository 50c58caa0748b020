"""The book's chapters: the documents ``_toc.yml`` names, the chapter notebooks among them, their checks.

Everything in :mod:`motorkit.publish` that needs the list of chapters (executing them, staging the
book, the student edition, the lab) reads it here; this module imports nothing else of the package.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

#: Tag of the cell papermill overrides.
PARAMETERS_TAG = "parameters"
#: Source suffixes a ``_toc.yml`` entry may point at, in the order they are looked for.
SOURCE_SUFFIXES: tuple[str, ...] = (".ipynb", ".md")


class PublishError(RuntimeError):
    """A chapter, the table of contents or the book build failed; the message says which and why."""


def toc_entries(root: Path) -> list[str]:
    """Every document named in ``root/_toc.yml``, in reading order (root first), without suffixes."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    toc_path = root / "_toc.yml"
    if not toc_path.exists():
        raise PublishError(f"no _toc.yml in {root}")
    site = parse_toc_yaml(toc_path)
    order: list[str] = []

    def walk(docname: str) -> None:
        order.append(docname)
        for subtree in site[docname].subtrees:
            for child in subtree.files():
                walk(child)

    walk(site.root.docname)
    return order


def entry_source(root: Path, entry: str) -> Path:
    """The file a ``_toc.yml`` entry names; a missing file fails loudly, naming the entry."""
    base = root / entry
    candidates = [base] if base.suffix in SOURCE_SUFFIXES else [base.with_name(base.name + s) for s in SOURCE_SUFFIXES]
    for path in candidates:
        if path.is_file():
            return path
    looked = ", ".join(str(p.relative_to(root)) for p in candidates)
    raise PublishError(f"_toc.yml entry '{entry}' names no file (looked for {looked})")


def chapter_notebooks(root: Path) -> list[Path]:
    """The chapter notebooks: ``_toc.yml`` entries that are ``.ipynb`` files under ``notebooks/``."""
    sources = [entry_source(root, entry) for entry in toc_entries(root)]
    return [p for p in sources if p.suffix == ".ipynb" and p.parent == root / "notebooks"]


def parameters_problem(notebook: Path) -> str | None:
    """Why ``notebook`` lacks exactly one cell tagged ``parameters`` (None when it has one)."""
    nb = nbformat.read(notebook, as_version=4)
    tagged = [c for c in nb.cells if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        return f"{notebook.name} has {len(tagged)} cells tagged '{PARAMETERS_TAG}' (it needs exactly one)"
    return None


def check(root: Path) -> list[Path]:
    """Check the table of contents and every chapter's ``parameters`` cell; return the chapters."""
    notebooks = chapter_notebooks(root)
    problems = [p for p in (parameters_problem(nb) for nb in notebooks) if p]
    if problems:
        raise PublishError("\n".join(problems))
    return notebooks

