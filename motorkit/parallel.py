"""Data parallelism: one training run over two processes (two cores), each on half of every batch.

Every process holds the same policy and optimiser and draws the same batch from the same seeded
generator; each runs its share of the trials forward and backward; the gradients and the logged loss
terms are averaged across processes (``torch.distributed`` with gloo on 127.0.0.1); every process
then takes the same optimiser step, so the weights stay identical. The loss is a mean over trials,
so the average of the shares' gradients is the whole batch's gradient: one process and two give the
same loss curve to float rounding, and the same seed gives the same numbers on the same machine.

Two processes pay for a second Python and a second compile (seconds, and the compile comes from
inductor's cache on disk), and per-step overheads do not shrink with the batch, so two processes win
only for large batches: :func:`workers_for` chooses, and sweeps keep one single-core run per core.
"""

from __future__ import annotations

import datetime
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import torch
import torch.distributed as dist

from motorkit.closed_loop import Noise
from motorkit.ensemble import member_rows
from motorkit.loss import Batch

#: The smallest batch for which two processes train faster than one (measured: benchmarks/README.md).
MIN_PARALLEL_BATCH: int = 128
#: How long a process waits for the other at a collective (the other may be compiling).
TIMEOUT = datetime.timedelta(minutes=10)


def _check_split(batch_size: int, world: int) -> None:
    if batch_size % world:
        raise ValueError(f"a batch of {batch_size} trials does not split evenly over {world} processes")


def workers_for(batch_size: int, requested: int = 0, device: str = "cpu") -> int:
    """How many processes a training run uses: ``requested`` if > 0, else 2 for large, even batches on
    a CPU with 2+ cores (one process per GPU)."""
    if requested > 0:
        _check_split(batch_size, requested)
        return requested
    if device != "cpu" or (os.cpu_count() or 1) < 2 or batch_size < MIN_PARALLEL_BATCH or batch_size % 2:
        return 1
    return 2


def take(batch: Batch, rank: int, world: int, members: int = 1) -> Batch:
    """Process ``rank``'s equal share of the trials of ``batch`` (noise is time-first): of each member's
    trials, for a batch of ``members`` networks trained together (:mod:`motorkit.ensemble`)."""
    size = batch.trials.target.shape[0] // members
    _check_split(size, world)
    rows = member_rows(members, size, slice(rank * size // world, (rank + 1) * size // world))
    return Batch(batch.trials.take(rows), batch.load.take(rows), Noise(*(n[:, rows] for n in batch.noise)))


class Group:
    """The processes of one training run; with one process every method is free and local."""

    def __init__(self, rank: int = 0, world: int = 1, store: dist.Store | None = None):
        self.rank, self.world = rank, world
        self._pg = None
        if world > 1:
            options = dist.ProcessGroupGloo._Options()
            options._timeout = TIMEOUT
            options._devices = [dist.ProcessGroupGloo.create_device(hostname="127.0.0.1")]
            self._pg = dist.ProcessGroupGloo(store, rank, world, options)

    @property
    def leader(self) -> bool:
        """The process that logs, evaluates and writes checkpoints."""
        return self.rank == 0

    def take(self, batch: Batch, members: int = 1) -> Batch:
        """This process's share of the batch (of each member's trials)."""
        return batch if self.world == 1 else take(batch, self.rank, self.world, members)

    def average(self, parameters: Iterable[torch.nn.Parameter], values: Sequence[torch.Tensor]) -> torch.Tensor:
        """Average the parameters' gradients (in place) and ``values`` across processes; return the values
        (stacked)."""
        values = torch.stack([v.detach() for v in values])
        if self._pg is None:
            return values
        grads = [p.grad for p in parameters if p.grad is not None]
        flat = torch.cat([values.reshape(-1), *(g.reshape(-1) for g in grads)])
        self._pg.allreduce([flat]).wait()
        flat /= self.world
        offset = values.numel()
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()
        return flat[:values.numel()].view_as(values)

    def agree(self, flags: list[bool]) -> list[bool]:
        """The leader's ``flags`` (e.g. which members stop now), the same in every process."""
        if self._pg is None:
            return flags
        value = torch.tensor([float(f) for f in flags])
        self._pg.broadcast(value, 0).wait()
        return [bool(v) for v in value.tolist()]


SINGLE = Group()


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block with ``n`` torch threads, then restore the count it had."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _store(folder: Path, world: int) -> dist.Store:
    return dist.FileStore(str(folder / "store"), world)


@contextmanager
def group(world: int, run: Callable[..., Any], args: tuple[Any, ...]) -> Iterator[Group]:
    """Start processes 1..world-1 running ``run(*args, group=...)``; yield this process's group (rank 0).

    The others are fresh Pythons (``python -m motorkit.parallel``), so that nothing of the caller's
    script or notebook runs again in them. On leaving, this waits for them; if this process failed or
    was interrupted, it stops them.
    """
    folder = Path(tempfile.mkdtemp(prefix="motorkit-group-"))
    (folder / "run.pkl").write_bytes(pickle.dumps((run, args)))
    others = [subprocess.Popen([sys.executable, "-m", "motorkit.parallel", str(folder), str(rank), str(world)])
              for rank in range(1, world)]
    ok = False
    try:
        store = _store(folder, world)
        for rank, process in enumerate(others, start=1):  # fail fast if one cannot start
            while not store.check([f"ready/{rank}"]):
                if process.poll() is not None:
                    raise RuntimeError(f"training process {rank} exited at start (code {process.returncode})")
                time.sleep(0.05)
        with torch_threads(1):  # one core each
            yield Group(0, world, store)
        ok = True
    finally:
        for process in others:
            try:
                process.wait(timeout=60 if ok else 0.1)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)
    failed = [p.returncode for p in others if p.returncode]
    if failed:
        raise RuntimeError(f"a training process failed (exit code {failed[0]}); see its messages above")


def _follow(folder: Path, rank: int, world: int) -> None:
    """Process ``rank`` of a group: announce itself, then run its share."""
    run, args = pickle.loads((folder / "run.pkl").read_bytes())
    torch.set_num_threads(1)
    store = _store(folder, world)
    store.set(f"ready/{rank}", "1")
    run(*args, group=Group(rank, world, store))


if __name__ == "__main__":
    _follow(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
