"""Checkpoint files: one file per training run that holds everything needed to resume or reload it.

A checkpoint folder holds ``checkpoint.pt`` (weights, optimiser, random state, configuration and log
in one file, written atomically, loaded with ``weights_only=True``) and, for people, ``config.json``
and ``log.json``. Loading a policy from a checkpoint needs the network it describes:
:func:`motorkit.training.load_policy`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

import motorkit
from motorkit.errors import CheckpointError
from motorkit.io import atomic_write, write_json

CHECKPOINT_FORMAT = "motorkit-checkpoint/1"


def save_checkpoint(out: Path, policy: torch.nn.Module, optimizer: dict[str, Any],
                    generator: torch.Generator, config: dict[str, Any], batch: int,
                    log: list[dict[str, float]], finished: bool = False) -> Path:
    """Write the checkpoint atomically (one file holds everything), then the human-readable copies.

    ``optimizer`` is the state of the run's own optimiser (``Optimizer.state_dict()``), ``config`` the run's
    configuration as a dictionary (``TrainConfig.to_dict()``), ``log`` its rows.
    """
    payload = {
        "format": CHECKPOINT_FORMAT,
        "motorkit_version": motorkit.__version__,
        "config": config,
        "batch": batch,
        "finished": finished,
        "policy": policy.state_dict(),
        "optimizer": optimizer,
        "generator": generator.get_state(),
        "log": log,
    }
    path = atomic_write(Path(out) / "checkpoint.pt", lambda tmp: torch.save(payload, tmp))
    write_json(Path(out) / "config.json", {"format": CHECKPOINT_FORMAT, "motorkit_version": motorkit.__version__,
                                           "batch": batch, "finished": finished, "config": config})
    write_json(Path(out) / "log.json", {"log": log})
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint folder (or its ``checkpoint.pt``) safely; clear errors for bad input."""
    path = Path(path)
    file = path / "checkpoint.pt" if path.is_dir() else path
    if not file.exists():
        raise CheckpointError(f"no motorkit checkpoint at {path} (expected {file.name})")
    try:
        payload = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"corrupt checkpoint {file}: {type(exc).__name__}") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{file} is not a motorkit checkpoint (format {CHECKPOINT_FORMAT} expected)")
    return payload


def is_finished(path: str | Path) -> bool:
    """Whether ``path`` holds a checkpoint of a run that ran to its end."""
    return (Path(path) / "checkpoint.pt").exists() and bool(load_checkpoint(path).get("finished"))
