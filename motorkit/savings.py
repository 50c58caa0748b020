"""Savings and interference: how a network relearns a field it met before, and how to intervene on it.

The protocol of Shahbazi et al. (2025): a null-field network (NF1) learns a curl field (FF1), unlearns
it in the null field (washout, NF2), and meets it again (FF2), block after block
(:mod:`motorkit.protocols`). This module measures what a motor-learning experiment measures:

* **Savings**: a block's learning curve is its error, the hand-target distance over each batch
  (:data:`ERROR`), and the adaptation index on force-channel trials after each batch (:data:`INDEX`);
  :func:`batches_to_criterion` reads how many batches a block took to bring its error down to a
  criterion, :func:`early_rate` how fast the error fell at first, :func:`early_errors` its mean over the
  first batches. Savings: FF2 faster than FF1.
* **The hidden-state trace of learning**: :func:`preparatory_steps` finds the delay period, the steps
  in which the network knows the target but cannot yet know the go cue, :func:`preparatory_states`
  the network's state there for each test target (its preparatory activity), and
  :func:`shift` the change of that state from one network to another: its size, direction, how
  uniform it is across targets, and (:func:`fraction_remaining`) how much of one shift another keeps.
* **Interventions on learning**: :func:`shift_clamp` builds the hidden-state clamp
  (:class:`~motorkit.policy.ClampSubspace` in ``TrainConfig.interventions``) that holds the state's
  coordinate along a direction at a chosen value before the movement, while the network learns
  (:func:`clamped_config`: a block learned so): with the naive value it removes a shift, with the
  shifted value it adds one.
* **The two-state model** of Smith et al. (2006): :class:`TwoState` simulates a fast and a slow
  process, :func:`fit_two_state` fits one to a learning curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence

import numpy as np
import torch
from scipy.optimize import least_squares

from motorkit.fields import ForceField
from motorkit.policy import ClampSubspace
from motorkit.protocols import Block, block_configs
from motorkit.sweeps import first_crossing
from motorkit.training import TrainConfig, TrainResult
from motorkit.traininglog import INDEX, TrainingLog

#: The error a block learns from: the hand-target distance over each batch's 64 random trials (cm).
ERROR = "distance_cm"


def savings_blocks(batches: int, washout: int | None = None, lr: float = 1e-3, field: str = "cw") -> list[Block]:
    """FF1 -> NF2 -> FF2 from a null-field network (NF1): ``batches`` in the field, ``washout`` without."""
    washout = batches if washout is None else washout
    return [Block("FF1", field, batches, lr), Block("NF2", "null", washout, lr), Block("FF2", field, batches, lr)]


def network_curves(runs: Mapping[Hashable, TrainResult], key: str = ERROR,
                   smooth: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The same block's curve for each network (``runs``: one run per network, the same block):
    ``(batches, values (networks, points))``, each a centred moving average over ``smooth`` points."""
    curves = [run.log.curve(key, smooth) for run in runs.values()]
    return curves[0][0], np.array([values for _, values in curves])


def per_batch(logs: Sequence[TrainingLog], key: str = INDEX) -> np.ndarray:
    """``key`` after every batch of consecutive blocks (their logs, in order); NaN where it was not measured."""
    return np.concatenate([log.curve(key, per="batch").values for log in logs])


def batches_to_criterion(log: TrainingLog, criterion: float, key: str = ERROR, smooth: int = 5,
                         rising: bool = False) -> float:
    """The batch at which ``key`` (its curve smoothed over ``smooth`` points) first falls to ``criterion`` (``rising``: rises
    to it, as the adaptation index does), interpolated between points; NaN if it never does in the block."""
    batches, values = log.curve(key, smooth)
    return first_crossing(batches, -values, -criterion) if rising else first_crossing(batches, values, criterion)


def early_rate(log: TrainingLog, batches: int, baseline: float, key: str = ERROR,
               smooth: int = 5) -> float:
    """How fast a block's error fell over its first ``batches`` batches: the share of its excess error at
    the start (above ``baseline``, the error before the field came on) removed per batch."""
    x, y = log.curve(key, smooth)
    if x.size < batches:
        raise ValueError(f"the block has fewer than {batches} points")
    return float((y[0] - y[batches - 1]) / (y[0] - baseline) / (x[batches - 1] - x[0]))


def preparatory_steps(config: TrainConfig) -> int:
    """The delay period of every trial: the steps before the earliest go cue can be seen (the shortest
    delay, then vision's lag). The network knows the target and not yet when to go: its state there is
    preparatory activity, as in the delay period of Sun et al. (2022)."""
    if config.delay[0] <= 0:
        raise ValueError(f"the task has no delay period (delay {config.delay}); train with a go-cue delay")
    return int(round(config.delay[0] / config.dt)) + config.cue_lag


def preparatory_states(result: TrainResult, steps: int) -> np.ndarray:
    """The network's hidden state before the movement, for each test target (8, H): the mean over the
    first ``steps`` steps of a null-field reach (:func:`preparatory_steps`; any clamp the network
    learned under included)."""
    hidden = result.evaluate(ForceField()).hidden
    return hidden[:, 1:steps + 1].mean(axis=1)


@dataclass(frozen=True)
class Shift:
    """The change of the preparatory states from one network to another (per target: ``after - before``)."""

    vector: np.ndarray  # (H,) the mean change over targets: the uniform part
    size: float  # its length
    uniform_fraction: float  # share of the per-target change's power that the uniform part carries

    @property
    def direction(self) -> np.ndarray:
        """The unit vector of the shift (H,)."""
        return self.vector / self.size


def shift(after: np.ndarray, before: np.ndarray) -> Shift:
    """The shift from the states ``before`` to ``after`` (each (targets, H)): its uniform part and share."""
    change = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    vector = change.mean(axis=0)
    power = float((change ** 2).sum(axis=1).mean())
    size = float(np.linalg.norm(vector))
    return Shift(vector, size, size ** 2 / power if power > 0 else float("nan"))


def fraction_remaining(later: Shift, earlier: Shift) -> float:
    """How much of ``earlier`` (e.g. the shift FF1 made) ``later`` still holds (e.g. after washout):
    the projection of the later shift on the earlier one, over the earlier one's length."""
    return float(later.vector @ earlier.vector / earlier.size ** 2)


def shift_clamp(direction: np.ndarray, centre: np.ndarray, steps: int) -> dict[str, object]:
    """The ``TrainConfig`` changes that hold the hidden state's coordinate along ``direction`` (H,) at
    that of ``centre`` (H,) for the first ``steps`` steps of every reach, while learning and in tests."""
    unit = torch.as_tensor(np.asarray(direction, dtype=float) / np.linalg.norm(direction), dtype=torch.float32)
    clamp = ClampSubspace(slice(0, int(steps)), unit[None], torch.as_tensor(np.asarray(centre), dtype=torch.float32))
    return {"interventions": (clamp,)}


def clamped_config(start: TrainResult, block: Block, direction: np.ndarray, centre: np.ndarray, steps: int,
                   eval_every: int = 1) -> TrainConfig:
    """``block`` from ``start``, learned with the axis ``direction`` held at ``centre``'s value for the first
    ``steps`` steps of every reach (:func:`shift_clamp`): an intervention on learning."""
    return block_configs(start, [block], eval_every, **shift_clamp(direction, centre, steps))[0]


@dataclass(frozen=True)
class TwoState:
    """The two-state model of motor adaptation (Smith et al. 2006), one step per trial (here, per batch).

    x = x_fast + x_slow; after each step with perturbation f and error e = f - x,
    x_fast <- a_fast x_fast + b_fast e and x_slow <- a_slow x_slow + b_slow e.
    The a are retention factors, the b learning rates; the fast process learns more and forgets more.
    """

    a_fast: float
    b_fast: float
    a_slow: float
    b_slow: float

    def simulate(self, perturbation: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """The fast and slow states after each step of ``perturbation`` (1 in the field, 0 in washout)."""
        fast, slow, xf, xs = [], [], 0.0, 0.0
        for f in perturbation:
            error = f - (xf + xs)
            xf, xs = self.a_fast * xf + self.b_fast * error, self.a_slow * xs + self.b_slow * error
            fast.append(xf)
            slow.append(xs)
        return np.array(fast), np.array(slow)

    def as_dict(self) -> dict[str, float]:
        return {"a_fast": float(self.a_fast), "b_fast": float(self.b_fast), "a_slow": float(self.a_slow),
                "b_slow": float(self.b_slow)}

    def rms_error(self, adaptation: Sequence[float], perturbation: Sequence[float]) -> float:
        """Root-mean-square distance between the model's adaptation and ``adaptation`` (NaN steps left out)."""
        fast, slow = self.simulate(perturbation)
        return float(np.sqrt(np.nanmean((fast + slow - np.asarray(adaptation, dtype=float)) ** 2)))

    def slow_share(self, perturbation: Sequence[float]) -> float:
        """The share of the adaptation the slow process holds at the end of ``perturbation``."""
        fast, slow = self.simulate(perturbation)
        return float(slow[-1] / (fast[-1] + slow[-1]))


#: The parameters Smith et al. (2006) used for human force-field adaptation (per trial).
SMITH_2006 = TwoState(a_fast=0.92, b_fast=0.03, a_slow=0.996, b_slow=0.004)


def fit_two_state(adaptation: Sequence[float], perturbation: Sequence[float], starts: int = 20,
                  seed: int = 0, processes: int = 2) -> TwoState:
    """The two-state model closest (least squares) to ``adaptation`` after each step of ``perturbation``
    (NaN where a step was not measured).

    The model's usual constraints hold: 0 < a_fast < a_slow < 1 and 0 < b_slow < b_fast < 1 (the fast
    process learns faster and forgets faster). Fitted from ``starts`` seeded starting points.
    ``processes=1`` fits the one-state model instead (the slow process alone; the fast one is off):
    the comparison that says whether a second process is needed at all.
    """
    if processes not in (1, 2):
        raise ValueError(f"processes must be 1 or 2, got {processes}")
    y, f = np.asarray(adaptation, dtype=float), np.asarray(perturbation, dtype=float)
    seen = np.isfinite(y)  # NaN: a step without a measurement (e.g. evaluated every other batch)
    if y.shape != f.shape or seen.sum() < 4:
        raise ValueError("adaptation and perturbation must have the same length, with at least 4 measured steps")

    def model(p: np.ndarray) -> TwoState:
        # a_slow in (0, 1), a_fast a fraction of it; b_fast in (0, 1), b_slow a fraction of it
        if processes == 1:
            return TwoState(0.0, 0.0, p[1], p[2] * p[3])
        return TwoState(p[0] * p[1], p[2], p[1], p[2] * p[3])

    def residual(p: np.ndarray) -> np.ndarray:
        fast, slow = model(p).simulate(f)
        return (fast + slow - y)[seen]

    rng = np.random.default_rng(seed)
    best = None
    for _ in range(starts):
        p0 = rng.uniform([0.1, 0.8, 0.01, 0.01], [0.99, 0.999, 0.5, 0.9])
        fit = least_squares(residual, p0, bounds=([0, 0, 0, 0], [1, 1, 1, 1]))
        if best is None or fit.cost < best.cost:
            best = fit
    return model(best.x)


def block_curves(runs: Mapping[Hashable, TrainResult], key: str = ERROR, smooth: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Each network's curve of one block, as chapter 8 draws and measures it: the error smoothed over
    ``smooth`` batches (:func:`network_curves`), the adaptation index (:data:`INDEX`) as measured."""
    return network_curves(runs, key, smooth if key == ERROR else 1)


def criterion_batches(runs: Mapping[Hashable, TrainResult], criterion: float, smooth: int = 5) -> np.ndarray:
    """:func:`batches_to_criterion` of one block for each network (``runs``: one run per network)."""
    return np.array([batches_to_criterion(run.log, criterion, smooth=smooth) for run in runs.values()])


def early_errors(runs: Mapping[Hashable, TrainResult], batches: int, smooth: int = 5) -> np.ndarray:
    """Each network's mean error over a block's first ``batches`` batches (its curve smoothed over ``smooth``).

    The measure of savings that rounding cannot flip: batches to criterion reads where a curve that runs
    almost flat crosses a level, so a difference of 1e-5 in training can move it by several batches."""
    return block_curves(runs, ERROR, smooth)[1][:, :batches].mean(axis=1)


def early_rates(runs: Mapping[Hashable, TrainResult], batches: int, baselines: Mapping[Hashable, float],
                smooth: int = 5) -> np.ndarray:
    """:func:`early_rate` of one block for each network, each against its own ``baselines[key]``."""
    return np.array([early_rate(run.log, batches, baselines[key], smooth=smooth) for key, run in runs.items()])


@dataclass
class ScheduleBlock:
    """One block of a schedule, for a figure: its label, its length, and its curves per network."""

    label: str
    batches: int
    error: tuple[np.ndarray, np.ndarray]  # (batches, values (networks, points)), :func:`block_curves`
    index: tuple[np.ndarray, np.ndarray]


def schedule_curves(blocks: Sequence[tuple[str, Mapping[Hashable, TrainResult]]], smooth: int = 5) -> list[ScheduleBlock]:
    """The error and index curves of a schedule's blocks (``(label, runs)`` in order), for a figure that
    sets them one after the other."""
    return [ScheduleBlock(label, next(iter(runs.values())).config.batches, block_curves(runs, ERROR, smooth),
                          block_curves(runs, INDEX, smooth)) for label, runs in blocks]
