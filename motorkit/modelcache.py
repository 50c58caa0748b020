"""The model cache: a trained model is stored under a key of everything that decides what it is.

The key (:func:`cache_dir`) is a hash of the run's full configuration and of the code of every
motorkit module that training imports, directly or not (:func:`model_modules`, found by reading the
imports, so that it cannot fall behind the code). Of those modules only their code counts: their
syntax trees without docstrings and comments (:func:`code_fingerprint`), so editing prose retrains
nothing, while editing any statement of, say, a metric that training logs or stops on retrains the
models that depend on it. Later chapters load the models earlier chapters trained
(:func:`train_cached`).
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Sequence

import motorkit
from motorkit.checkpoints import is_finished
from motorkit.io import build_dir
from motorkit.errors import TrainingDiverged
from motorkit.training import TrainConfig, TrainResult, load_policy, train_together

#: The module whose import closure defines a trained model.
TRAINING_MODULE = "motorkit.training"
PACKAGE_DIR = Path(motorkit.__file__).parent


def module_path(name: str, package: Path = PACKAGE_DIR) -> Path | None:
    """The source file of motorkit module ``name`` (``motorkit.x.y``) in the ``package`` folder, or None."""
    parts = name.split(".")
    if parts[0] != "motorkit":
        return None
    base = package.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imported_modules(name: str, source: str, package: Path = PACKAGE_DIR) -> set[str]:
    """The motorkit modules that module ``name``'s code imports, at any level (function-local too).

    ``from motorkit import x`` counts ``motorkit.x`` when that is a module; every import of a
    submodule also counts its packages (Python runs their ``__init__``).
    """
    path = module_path(name, package)
    parent = name if path is not None and path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = parent.split(".")[: len(parent.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    modules = set()
    for module in found:
        parts = module.split(".")
        modules.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {m for m in modules if module_path(m, package) is not None}


def model_modules(root: str = TRAINING_MODULE, package: Path = PACKAGE_DIR) -> tuple[str, ...]:
    """Every motorkit module that ``root`` imports, directly or not, ``root`` included (sorted)."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(imported_modules(name, module_path(name, package).read_text(), package) - seen)
    return tuple(sorted(seen))


def code_fingerprint(source: str) -> str:
    """The code of a module without its docstrings, comments and layout (its syntax tree).

    So that editing the prose of a model-defining module, or reflowing it, retrains nothing.
    """
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def model_code_hash(package: Path = PACKAGE_DIR) -> str:
    """motorkit's version and a hash of the code of every module training imports (:func:`model_modules`)
    in the ``package`` folder (default: the installed motorkit)."""
    digest = hashlib.sha256(motorkit.__version__.encode())
    for name in model_modules(package=package):
        digest.update(name.encode())
        digest.update(code_fingerprint(module_path(name, package).read_text()).encode())
    return digest.hexdigest()[:16]


def cache_dir(config: TrainConfig) -> Path:
    """Where the model of ``config`` lives in the cache: keyed on the full configuration and the code."""
    data = config.to_dict()
    data["device"] = data["workers"] = "any"  # neither changes the model beyond float rounding
    if data["init"] is not None:
        data["init"] = Path(data["init"]).name  # a cache entry's name already holds its own key
    key = hashlib.sha256(json.dumps({"config": data, "code": model_code_hash()}, sort_keys=True).encode())
    return build_dir() / "cache" / "models" / f"{config.effector}-{config.field}-{key.hexdigest()[:16]}"


def is_cached(config: TrainConfig) -> bool:
    """Whether the cache holds the finished model of ``config``."""
    return is_finished(cache_dir(config))


def train_cached(config: TrainConfig, progress: bool = True) -> TrainResult:
    """Train ``config`` unless the cache holds its finished model; resume an unfinished entry.

    Later chapters load the policies earlier chapters trained this way instead of training again.
    """
    result = train_cached_together([config], progress)[0]
    if isinstance(result, TrainingDiverged):
        raise result
    return result


def train_cached_together(configs: Sequence[TrainConfig],
                          progress: bool = True) -> list[TrainResult | TrainingDiverged]:
    """:func:`train_cached` for networks of one shape: the cached ones are loaded, the others trained
    together (:func:`motorkit.training.train_together`), each into its own cache entry, under the key
    it would have alone; each one's result, or the :class:`TrainingDiverged` that stopped it."""
    todo = [i for i, config in enumerate(configs) if not is_cached(config)]
    results = {}
    if todo:
        trained = train_together([configs[i] for i in todo], [cache_dir(configs[i]) for i in todo], progress)
        results = dict(zip(todo, trained))
    return [results[i] if i in results else load_policy(cache_dir(c), c.device) for i, c in enumerate(configs)]
