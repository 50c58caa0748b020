"""The student edition: every chapter with exercises, without the solutions and without outputs.

``python -m motorkit.publish student`` (``make student``) writes ``<build>/student/<chapter>.ipynb``
(the build folder, :func:`motorkit.io.build_dir`: ``_build`` unless ``MOTORKIT_BUILD_DIR`` says otherwise),
ready to hand out. From each chapter in ``notebooks/`` it removes the cells tagged ``solution`` (the
exercises' solutions) and ``book-only`` (the download link, which means nothing inside the
notebook), the folded "Hint and solution" blocks of the projects, and every output; it adds a first
cell that says what the edition is. The book stages the same files, so that each chapter links its
own student notebook (``{download}``), and the link works offline.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import nbformat

from motorkit.io import build_dir
from motorkit.publish.chapters import chapter_notebooks

#: Cells that the student edition leaves out, by tag.
DROPPED_TAGS: tuple[str, ...] = ("solution", "book-only")
#: Folded solutions in a chapter's prose: a dropdown admonition whose title mentions a solution.
_SOLUTION_BLOCK = re.compile(r"```\{admonition\}[^\n]*[Ss]olution[^\n]*\n:class: dropdown\n.*?\n```\n*", re.S)

NOTE = ("**Student edition.** The exercises at the end of this chapter have no solutions here: fill in each "
        "`...` and run the check below it, which tells you what is right and what is not. Run the cells from "
        "the top first: the exercises use what the chapter computes. The chapters train their networks once "
        "and cache them, so the first run of a chapter takes longer than the next.")


def has_exercises(notebook: dict[str, Any]) -> bool:
    """Whether a notebook has exercise cells (tagged ``exercise``)."""
    return any("exercise" in c.get("metadata", {}).get("tags", []) for c in notebook.get("cells", []))


def student_edition(notebook: dict[str, Any]) -> dict[str, Any]:
    """The student edition of one chapter (a new notebook dict; ``notebook`` is left as it is)."""
    nb = copy.deepcopy(notebook)
    cells = []
    for cell in nb["cells"]:
        if set(cell.get("metadata", {}).get("tags", [])) & set(DROPPED_TAGS):
            continue
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = _SOLUTION_BLOCK.sub("", source).rstrip("\n")
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cells.append(cell)
    note = nbformat.v4.new_markdown_cell(NOTE, id="student-edition")
    nb["cells"] = [cells[0], note, *cells[1:]] if cells and cells[0]["cell_type"] == "markdown" else [note, *cells]
    nbformat.validate(nbformat.from_dict(nb))
    return nb


def write_student(root: Path, out: Path | None = None) -> list[Path]:
    """Write the student edition of every chapter with exercises into ``out`` (``<build>/student``)."""
    out = build_dir(root) / "student" if out is None else out
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in chapter_notebooks(root):
        notebook = nbformat.read(source, as_version=4)
        if not has_exercises(notebook):
            continue
        path = out / source.name
        nbformat.write(nbformat.from_dict(student_edition(notebook)), path)
        written.append(path)
    return written
