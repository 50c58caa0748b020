"""The package's structure (ARCHITECTURE.md): no module of ``motorkit`` imports one that imports it back.

The import graph is read from the source with :mod:`ast`, never by importing: every ``import`` and
``from ... import`` anywhere in a module counts (at the top, inside a function, under a condition),
absolute (``import motorkit.x``, ``from motorkit.x import y``, ``from motorkit import x``) or relative
(``from . import x``, ``from ..x import y``). An import names the module it loads: ``from motorkit.plots
import colors`` the submodule ``motorkit.plots.colors``, ``from motorkit.plots import FIELD_COLORS`` the
package ``motorkit.plots`` itself (its ``__init__.py``). The parent packages Python initialises on the
way are not edges: a package's ``__init__`` re-exporting its submodules is not a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_names(package: Path, name: str) -> dict[str, Path]:
    """Every module of the package folder ``package`` (importable as ``name``), by dotted name."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join((name, *parts))] = path
    return modules


def _known(dotted: str, modules: dict[str, Path]) -> str | None:
    """The module of ``modules`` that ``dotted`` names, or its nearest enclosing one (None outside them)."""
    parts = dotted.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> dict[str, int]:
    """The modules of ``modules`` that ``module`` imports anywhere in its source, with the first line of each."""
    is_package = path.name == "__init__.py"
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        targets: list[str | None] = []
        if isinstance(node, ast.Import):
            targets = [_known(alias.name, modules) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".")
                if not is_package:
                    package.pop()
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.append(submodule if submodule in modules else _known(base, modules))
        for target in targets:
            if target is not None and target != module:
                found[target] = min(found.get(target, node.lineno), node.lineno)
    return found


def import_graph(package: Path, name: str) -> dict[str, dict[str, int]]:
    """``module -> {imported module: line}`` between the modules of a package."""
    modules = module_names(package, name)
    return {module: imports_of(module, path, modules) for module, path in modules.items()}


def tangles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The groups of modules that import each other, through any chain (strongly connected, two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                connect(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            connect(module)
    return groups


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (first module repeated at the end) per group of modules that import each other."""
    return [_cycle_in(group, graph) for group in tangles(graph)]


def _cycle_in(group: list[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """A shortest cycle through the first module of a group of modules that import each other."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for target in sorted(graph[module]):
                if target == start:
                    return paths[module] + [start]
                if target in members and target not in paths:
                    paths[target] = paths[module] + [target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle in {group}")  # not reached: a strongly connected group has one


def describe(cycle: list[str], graph: dict[str, dict[str, int]]) -> str:
    """``a -> b (line 3 of a) -> a (line 9 of b)``."""
    steps = [f"{b} (line {graph[a][b]} of {a})" for a, b in zip(cycle, cycle[1:])]
    return " -> ".join([cycle[0], *steps])


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = import_graph(ROOT / "motorkit", "motorkit")
    assert "motorkit.publish.gate" in graph and graph["motorkit.publish"]  # the graph is read
    found = [f"{', '.join(group)} import each other, e.g. {describe(_cycle_in(group, graph), graph)}"
             for group in tangles(graph)]
    assert not found, "import cycles in motorkit:\n" + "\n".join(found)


def test_every_kind_of_import_is_an_edge(tmp_path: Path) -> None:
    """The reader sees absolute, relative and function-local imports, and tells submodules from names."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    sources = {
        "__init__.py": "from pkg.a import f\n",
        "a.py": "def f():\n    from . import b\n    return b\n",
        "b.py": "import os\nimport pkg.sub.c as c\n",
        "sub/__init__.py": "",
        "sub/c.py": "from ..d import g\n",
        "d.py": "if True:\n    from pkg import a\nfrom pkg import VALUE\nfrom pkg.sub import nothing\n",
        "e.py": "from pkg.sub.c import name\nfrom .. import elsewhere\n",
    }
    for name, source in sources.items():
        (pkg / name).write_text(source)
    graph = import_graph(pkg, "pkg")
    assert graph == {
        "pkg": {"pkg.a": 1},
        "pkg.a": {"pkg.b": 2},
        "pkg.b": {"pkg.sub.c": 2},
        "pkg.sub": {},
        "pkg.sub.c": {"pkg.d": 1},
        "pkg.d": {"pkg.a": 2, "pkg": 3, "pkg.sub": 4},
        "pkg.e": {"pkg.sub.c": 1},
    }
    # d imports the package, whose __init__ imports a: the package is in the cycle too
    assert cycles(graph) == [["pkg", "pkg.a", "pkg.b", "pkg.sub.c", "pkg.d", "pkg"]]
    assert describe(cycles(graph)[0], graph).startswith("pkg -> pkg.a (line 1 of pkg) -> pkg.b (line 2 of pkg.a)")
