"""Chapter notebooks are committed clean: no outputs, no execution counts, one `parameters` cell with a seed."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_notebooks_are_valid() -> None:
    """Every notebook in notebooks/ is valid nbformat."""
    for path in NOTEBOOKS:
        nbformat.validate(nbformat.read(path, as_version=4))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_without_outputs(path: Path) -> None:
    """No code cell carries outputs or an execution count (run `jupyter nbconvert --clear-output`)."""
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells with outputs or execution counts: {dirty}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_one_parameters_cell_with_seed(path: Path) -> None:
    """Exactly one code cell is tagged `parameters`, and it assigns `seed`."""
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters' (need exactly one)"
    assert tagged[0].cell_type == "code"
    assert re.search(r"^\s*seed\s*(:[^=]+)?=", tagged[0].source, re.M), f"{path.name}: no `seed = ...` in parameters"
