"""I/O: atomic writes, the build folder, and each chapter's metrics file.

Every chapter writes its key results to ``_build/metrics/<notebook-stem>.json`` (:func:`metrics_dir`);
the tests assert the book's scientific claims from those files. Writes are atomic (temporary file, then
rename) so a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

#: Repository root when motorkit is installed in editable mode (the book's layout).
REPO_ROOT: Path = Path(__file__).resolve().parent.parent


def build_dir(root: str | os.PathLike | None = None) -> Path:
    """The build folder: ``$MOTORKIT_BUILD_DIR`` if set, else ``<root>/_build`` (``root``: this repository).

    The one switch for where a build goes: the chapters' kernels (trained models, metrics),
    ``python -m motorkit.publish`` (execute, build, student, course, seeds; ``--build-dir`` sets
    it) and the tests all read it. Only ``make lab`` drops it (``motorkit.publish.lab``).
    """
    if os.environ.get("MOTORKIT_BUILD_DIR"):
        return Path(os.environ["MOTORKIT_BUILD_DIR"]).resolve()
    return (Path(REPO_ROOT if root is None else root) / "_build").resolve()


def shown_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it (for messages and reports), else absolute."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def compile_cache_dir(build: Path | None = None) -> Path:
    """Where inductor keeps compiled graphs: ``$TORCHINDUCTOR_CACHE_DIR`` if set, else ``<build>/cache/inductor``.

    Under the build folder, beside the model cache, so that every process of a build (chapter kernels,
    sweep workers, tests) reuses one compile of each graph, and ``make clean`` starts cold.
    """
    if "TORCHINDUCTOR_CACHE_DIR" in os.environ:
        return Path(os.environ["TORCHINDUCTOR_CACHE_DIR"])
    return (build_dir() if build is None else build) / "cache" / "inductor"


def use_compile_cache() -> str:
    """Point this process, and those it starts, at :func:`compile_cache_dir`."""
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(compile_cache_dir())
    return os.environ["TORCHINDUCTOR_CACHE_DIR"]


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return path


def _jsonable(value: Any) -> Any:
    """Convert numpy/torch scalars and arrays to plain JSON types (NaN and infinities become null)."""
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(path: str | os.PathLike, data: dict[str, Any]) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    text = json.dumps(_jsonable(data), indent=2, sort_keys=True)
    return atomic_write(path, lambda tmp: tmp.write_text(text + "\n"))


def metrics_dir() -> Path:
    """Where chapters write their metrics: ``$MOTORKIT_METRICS_DIR`` if set, else ``<build>/metrics``.

    ``make lab`` sets it to ``_build/lab/metrics``, so that running a chapter live (with other
    parameters, half-edited) never overwrites the metrics of the book's build, which the tests read.
    """
    if os.environ.get("MOTORKIT_METRICS_DIR"):
        return Path(os.environ["MOTORKIT_METRICS_DIR"]).resolve()
    return build_dir() / "metrics"


def write_metrics(stem: str, metrics: dict[str, Any]) -> Path:
    """Merge ``metrics`` into ``<metrics_dir>/<stem>.json`` (the file the science tests read)."""
    path = metrics_dir() / f"{stem}.json"
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(_jsonable(metrics))
    return write_json(path, current)


def read_metrics(stem: str) -> dict[str, Any]:
    """Read ``<metrics_dir>/<stem>.json`` (by default ``_build/metrics/<stem>.json``)."""
    return json.loads((metrics_dir() / f"{stem}.json").read_text())
