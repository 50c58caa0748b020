"""The model cache's key covers every module training imports, found from the imports; prose does not count."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from motorkit import modelcache
from motorkit.training import TrainConfig


def test_code_fingerprint_ignores_prose_but_not_code() -> None:
    """Editing a docstring, a comment or the layout of a model-defining module retrains nothing."""
    code = 'def f(x):\n    """Double."""\n    return 2 * x  # twice\n'
    reworded = 'def f(x):\n    """Twice x, reworded."""\n\n    return 2*x\n'
    changed = 'def f(x):\n    """Double."""\n    return 3 * x\n'
    assert modelcache.code_fingerprint(code) == modelcache.code_fingerprint(reworded)
    assert modelcache.code_fingerprint(code) != modelcache.code_fingerprint(changed)


def test_the_closure_holds_what_training_imports_and_nothing_it_does_not() -> None:
    closure = set(modelcache.model_modules())
    # the numbers a log holds (and early stopping reads) come from rollouts and metrics: they count
    assert {"motorkit.training", "motorkit.rollouts", "motorkit.metrics", "motorkit.traininglog",
            "motorkit.loss", "motorkit.closed_loop", "motorkit.policy", "motorkit.bodies"} <= closure
    assert not closure & {"motorkit.savings", "motorkit.analysis", "motorkit.modelcache", "motorkit.sweeps"}
    assert not any(m.startswith(("motorkit.plots", "motorkit.publish")) for m in closure)


def test_relative_and_package_imports_are_followed(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("__init__.py", "a.py", "b.py", "sub/__init__.py", "sub/c.py", "sub/d.py"):
        (tmp_path / name).write_text("")
    source = "from . import a\nfrom .sub import c\ndef f():\n    import motorkit.b\nfrom motorkit.sub.d import x\n"
    found = modelcache.imported_modules("motorkit.sub.d", "from .. import a\nfrom . import c\n", tmp_path)
    assert found == {"motorkit", "motorkit.a", "motorkit.sub", "motorkit.sub.c"}
    found = modelcache.imported_modules("motorkit.a", source, tmp_path)
    assert found == {"motorkit", "motorkit.a", "motorkit.b", "motorkit.sub", "motorkit.sub.c", "motorkit.sub.d"}


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("pkg") / "motorkit"
    shutil.copytree(modelcache.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_a_statement_added_to_any_module_of_the_closure_changes_the_key(package_copy: Path) -> None:
    base = modelcache.model_code_hash(package_copy)
    assert base == modelcache.model_code_hash()  # the copy is the package
    for name in modelcache.model_modules(package=package_copy):
        path = modelcache.module_path(name, package_copy)
        source = path.read_text()
        try:
            path.write_text(source + "\n_probe = 1\n")
            assert modelcache.model_code_hash(package_copy) != base, f"{name} is not in the key"
        finally:
            path.write_text(source)


def test_prose_plots_and_chapters_leave_the_key_alone(package_copy: Path) -> None:
    base = modelcache.model_code_hash(package_copy)
    edits = {package_copy / "metrics.py": lambda s: s.replace('"""', '"""Reworded. ', 1) + "\n# a comment\n",
             package_copy / "plots" / "reaching.py": lambda s: s + "\n_probe = 1\n",
             package_copy / "savings.py": lambda s: s + "\n_probe = 1\n"}
    originals = {path: path.read_text() for path in edits}
    try:
        for path, edit in edits.items():
            path.write_text(edit(originals[path]))
        assert modelcache.model_code_hash(package_copy) == base
    finally:
        for path, source in originals.items():
            path.write_text(source)


def test_the_key_covers_the_configuration_not_where_it_ran(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", str(tmp_path))
    config = TrainConfig(batches=5)
    assert modelcache.cache_dir(config).parent == tmp_path.resolve() / "cache" / "models"
    assert modelcache.cache_dir(replace(config, seed=1)) != modelcache.cache_dir(config)
    assert modelcache.cache_dir(replace(config, device="cuda", workers=2)) == modelcache.cache_dir(config)
    assert not modelcache.is_cached(config)
