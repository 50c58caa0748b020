"""Sweeps: many training runs side by side through joblib (seeds, batch sizes, fields).

Each run gets one process and one thread (two cores: two models at a time). The same call runs on a
Dask cluster through joblib's ``dask`` backend: start a ``dask.distributed.Client`` and pass
``backend="dask"``. Runs go through the model cache, so re-running a sweep trains nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import joblib
from tqdm.auto import tqdm

from motorkit.training import TrainConfig, train_cached


@dataclass
class SweepRun:
    """One finished run of a sweep: its configuration, per-batch log and checkpoint folder."""

    config: TrainConfig
    log: list[dict[str, float]]
    out: Path


def _run_one(config: TrainConfig) -> SweepRun:
    import torch

    torch.set_num_threads(1)
    # A worker trains one run after another. Every run compiles its own step, and torch.compile keeps
    # the earlier runs' graphs: after about four runs it reaches its recompile limit and silently runs
    # the step eagerly (several times slower). Forgetting them costs a few seconds per run (the
    # compiled kernels come back from inductor's cache on disk).
    torch._dynamo.reset()
    result = train_cached(config, progress=False)
    return SweepRun(config, result.log, Path(result.out))


def run_sweep(configs: Sequence[TrainConfig], n_jobs: int = 2, backend: str = "loky",
              progress: bool = True) -> list[SweepRun]:
    """Train every configuration (in parallel, ``n_jobs`` at a time); results in the input order.

    ``backend`` is a joblib backend: ``"loky"`` (processes on this machine), ``"sequential"``, or
    ``"dask"`` (the cluster of the active ``dask.distributed.Client``).
    """
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1, got {n_jobs}")
    with joblib.parallel_config(backend=backend, n_jobs=n_jobs, inner_max_num_threads=1 if backend == "loky" else None):
        jobs = joblib.Parallel(return_as="generator")(joblib.delayed(_run_one)(c) for c in configs)
        return list(tqdm(jobs, total=len(configs), desc="sweep", unit="run", disable=not progress))
