"""Block protocols: a network trained through a sequence of blocks, as in a motor-learning experiment.

A protocol is a list of :class:`Block` (a name, a field, a number of batches, a learning rate), for
example the savings protocol of Shahbazi et al. (2025), NF1 -> FF1 -> NF2 -> FF2. Each block is an
ordinary training run that starts from the weights the previous block ended with (``init``), so
every block lands in the model cache under a key that holds the whole chain before it: re-running a
protocol trains nothing twice, and two protocols that share their first blocks share those models.
The optimiser starts afresh in each block.

:func:`run_protocol` trains the blocks in order and returns, per block, the trained network and the
test-set learning curve logged after every ``eval_every`` batches (lateral deviation, and the
adaptation index on force-channel trials where the block's field is a force field). Short specs
such as ``"FF1=cw:200 NF2=null:200@3e-4"`` are read by :func:`parse_blocks` (also
``motorkit protocol``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from motorkit.fields import FIELDS
from motorkit.modelcache import cache_dir, train_cached
from motorkit.training import TrainConfig, TrainResult, train
from motorkit.traininglog import TrainingLog

#: The learning rate of a block unless its spec names one (Adam, constant through the block).
BLOCK_LR: float = 1e-3


@dataclass(frozen=True)
class Block:
    """One block of a protocol: ``batches`` batches in ``field`` at a constant learning rate ``lr``."""

    name: str
    field: str
    batches: int
    lr: float = BLOCK_LR
    strength: float = 8.0
    catch_fraction: float = 0.0

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", self.name):
            raise ValueError(f"a block's name is letters, digits, - and _; got {self.name!r}")
        if self.field not in FIELDS or self.field == "viscous":
            raise ValueError(f"block {self.name}: unknown field {self.field!r}; choose one of null, cw, ccw, channel")
        if self.batches < 1:
            raise ValueError(f"block {self.name}: batches must be a positive count, got {self.batches}")
        if not self.lr > 0:
            raise ValueError(f"block {self.name}: the learning rate must be > 0, got {self.lr}")
        if not 0.0 <= self.catch_fraction <= 1.0 or (self.catch_fraction and self.field in ("null", "channel")):
            raise ValueError(f"block {self.name}: catch trials (a fraction in [0, 1]) are for curl-field blocks")


_SPEC = re.compile(r"^(?P<name>[^=\s]+)=(?P<field>[a-z]+):(?P<batches>\d+)(?:@(?P<lr>[0-9.eE+-]+))?"
                   r"(?:~(?P<catch>[0-9.]+))?$")


def parse_blocks(spec: str) -> list[Block]:
    """Blocks from a short spec: ``NAME=FIELD:BATCHES[@LR][~CATCH]`` separated by spaces or commas.

    ``"FF1=cw:200 NF2=null:200@3e-4 FF2=cw:200~0.1"`` (the last with a tenth of catch trials);
    raises ``ValueError`` naming the faulty part.
    """
    parts = [p for p in re.split(r"[\s,]+", spec.strip()) if p]
    if not parts:
        raise ValueError("a protocol needs at least one block, e.g. 'FF1=cw:200 NF2=null:200'")
    blocks = []
    for part in parts:
        match = _SPEC.match(part)
        if match is None:
            raise ValueError(f"cannot read block {part!r}: write NAME=FIELD:BATCHES[@LR][~CATCH], e.g. FF1=cw:200@1e-3")
        try:
            lr = BLOCK_LR if match["lr"] is None else float(match["lr"])
            catch = 0.0 if match["catch"] is None else float(match["catch"])
        except ValueError:
            raise ValueError(f"cannot read the numbers of block {part!r}") from None
        blocks.append(Block(match["name"], match["field"], int(match["batches"]), lr, catch_fraction=catch))
    names = [b.name for b in blocks]
    if len(set(names)) != len(names):
        raise ValueError(f"block names must differ: {names}")
    return blocks


def probe_field(blocks: Sequence[Block]) -> str:
    """The curl field a protocol's adaptation index is measured against in its null and channel blocks:
    its first curl field (``"cw"`` for NF1 -> FF1 -> NF2 -> FF2), or ``""`` when it has none."""
    return next((b.field for b in blocks if b.field in ("cw", "ccw")), "")


def block_configs(start: TrainResult, blocks: Sequence[Block], eval_every: int = 1,
                  seed: int | None = None, out: Path | None = None, **changes: object) -> list[TrainConfig]:
    """The training configuration of every block: each starts from the previous block's cache entry
    (or, with ``out``, from the previous block's folder ``out/<name>``).

    ``start`` must have a checkpoint folder (a cached network). The task and costs are ``start``'s, and
    ``changes`` alter every block (e.g. a hidden-state clamp in ``interventions``). The adaptation index
    is logged against each curl block's own field, and in the other blocks against :func:`probe_field`.
    """
    if start.out is None:
        raise ValueError("a protocol starts from a network with a checkpoint folder (train it with train_cached)")
    configs, init, probe = [], str(start.out), probe_field(blocks)
    for block in blocks:
        config = replace(start.config, field=block.field, strength=block.strength,
                         catch_fraction=block.catch_fraction, batches=block.batches, lr=block.lr,
                         lr_final=block.lr, eval_every=eval_every, target_error_cm=None, init=init,
                         channel_probe=True, probe_field="" if block.field in ("cw", "ccw") else probe,
                         seed=start.config.seed if seed is None else seed)
        config = replace(config, **changes)
        configs.append(config)
        init = str(cache_dir(config) if out is None else Path(out) / block.name)
    return configs


@dataclass
class ProtocolResult:
    """The networks at the end of each block, in order, and the protocol's learning curves."""

    blocks: list[Block]
    results: list[TrainResult]

    def result(self, name: str) -> TrainResult:
        """The network at the end of block ``name``."""
        for block, result in zip(self.blocks, self.results):
            if block.name == name:
                return result
        raise KeyError(f"no block {name!r}; the blocks are {[b.name for b in self.blocks]}")

    def curve(self, key: str = "test_lateral_cm") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A test-set measure through the whole protocol: batch (counted from the protocol's start),
        value, and the index of the block of each point. Points without the measure are left out."""
        (batches, values), which = TrainingLog.joined([r.log for r in self.results], key,
                                                      [b.batches for b in self.blocks])
        return batches, values, which


def run_protocol(start: TrainResult, blocks: Sequence[Block], eval_every: int = 1, seed: int | None = None,
                 progress: bool = True, out: Path | None = None, **changes: object) -> ProtocolResult:
    """Train the blocks in order from ``start``: in the model cache (each from there if it is there), or
    with ``out`` in the checkpoint folders ``out/<block name>`` (resuming any that a run left unfinished).
    ``changes`` alter every block's configuration (:func:`block_configs`)."""
    configs = block_configs(start, blocks, eval_every, seed, out, **changes)
    if out is None:
        results = [train_cached(config, progress=progress) for config in configs]
    else:
        results = [train(config, out=Path(out) / block.name, progress=progress)
                   for block, config in zip(blocks, configs)]
    return ProtocolResult(list(blocks), results)
