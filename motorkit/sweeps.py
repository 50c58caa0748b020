"""Sweeps: many training runs through joblib (seeds, batch sizes, fields).

Runs of one shape train together as ensembles (:mod:`motorkit.ensemble`, :func:`ensembles`), one
ensemble per process and one thread each (two cores: two ensembles at a time). The same call runs on a
Dask cluster through joblib's ``dask`` backend: start a ``dask.distributed.Client`` and pass
``backend="dask"``. Runs go through the model cache, so re-running a sweep trains nothing twice.

The second half reads the logs of a sweep: test-set learning curves (:meth:`TrainingLog.curve`), the
time a run spent on its training batches, compilation and evaluations left out
(:func:`batch_seconds`, :func:`training_seconds`, :func:`seconds_per_batch`), the curves of several
seeds on one grid against batches, samples seen or seconds (:func:`seed_curves`), and summaries of
how a loss falls (:func:`decrease_summary`, :func:`start_transient`, :func:`first_crossing`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Hashable, Mapping, Sequence

import joblib
import numpy as np
from tqdm.auto import tqdm

from motorkit.ensemble import shape_key
from motorkit.errors import TrainingDiverged
from motorkit.checkpoints import load_checkpoint
from motorkit.modelcache import cache_dir, is_cached, train_cached_together
from motorkit.training import TrainConfig
from motorkit.traininglog import TrainingLog, centred_average, evaluation_columns
from motorkit.loss import LossWeights


@dataclass
class SweepRun:
    """One finished run of a sweep: its configuration, per-batch log and checkpoint folder."""

    config: TrainConfig
    log: TrainingLog
    out: Path


#: The most trials one process runs per batch when it trains networks together: beyond about 512 the
#: arithmetic dominates and stacking more networks saves nothing (measured: benchmarks/README.md).
ENSEMBLE_TRIALS: int = 512


def _cost(configs: Sequence[TrainConfig]) -> float:
    """A job's rough cost: its batches, each a fixed cost plus one per trial (about 22 ms + 0.5 ms per
    trial on one core; benchmarks/README.md)."""
    return max(c.batches for c in configs) * (1.0 + sum(c.batch_size for c in configs) / 44.0)


def makespan(costs: Sequence[float], n_jobs: int) -> float:
    """How long jobs of these costs take on ``n_jobs`` processes, longest first, each to the least busy."""
    loads = [0.0] * n_jobs
    for cost in sorted(costs, reverse=True):
        loads[loads.index(min(loads))] += cost
    return max(loads)


def ensembles(configs: Sequence[TrainConfig], n_jobs: int = 2, together: bool = True) -> list[list[int]]:
    """The jobs of a sweep, each the indices of configurations trained together in one process.

    Configurations of one shape and budget (:func:`motorkit.ensemble.shape_key`, ``batches``) train
    together, at most :data:`ENSEMBLE_TRIALS` trials per batch; the costliest job is then halved for
    as long as that finishes the sweep sooner on ``n_jobs`` processes (:func:`_cost`, :func:`makespan`),
    since an ensemble saves only the fixed cost of its networks' episodes and an idle core saves
    nothing. ``together=False``: every run on its own.
    """
    groups: dict[Hashable, list[int]] = {}
    for i, config in enumerate(configs):
        groups.setdefault((shape_key(config), config.batches) if together else i, []).append(i)
    jobs = []
    for members in groups.values():
        cap = max(1, ENSEMBLE_TRIALS // configs[members[0]].batch_size)
        jobs += [[int(i) for i in part] for part in np.array_split(members, -(-len(members) // cap))]

    def cost(job: list[int]) -> float:
        return _cost([configs[i] for i in job])

    while any(len(job) > 1 for job in jobs):
        largest = max((job for job in jobs if len(job) > 1), key=cost)
        split = [job for job in jobs if job is not largest] + [largest[: len(largest) // 2],
                                                                largest[len(largest) // 2:]]
        if makespan([cost(j) for j in split], n_jobs) >= makespan([cost(j) for j in jobs], n_jobs):
            break
        jobs = split
    return jobs


def _run_together(configs: Sequence[TrainConfig]) -> list[SweepRun | TrainingDiverged]:
    import torch

    torch.set_num_threads(1)
    # A worker trains one job after another. Every job compiles its own step, and torch.compile keeps
    # the earlier jobs' graphs: after about four it reaches its recompile limit and silently runs
    # the step eagerly (several times slower). Forgetting them costs a few seconds per job (the
    # compiled kernels come back from inductor's cache on disk).
    torch._dynamo.reset()
    results = train_cached_together(configs, progress=False)
    return [r if isinstance(r, TrainingDiverged) else SweepRun(r.config, r.log, Path(r.out)) for r in results]


def run_sweep(configs: Sequence[TrainConfig], n_jobs: int = 2, backend: str = "loky",
              progress: bool = True, together: bool = True) -> list[SweepRun]:
    """Train every configuration (in parallel, ``n_jobs`` processes at a time); results in the input order.

    Runs of one shape train together, one ensemble per process (:func:`ensembles`; ``together=False``
    trains each alone, e.g. to time one network). ``backend`` is a joblib backend: ``"loky"``
    (processes on this machine), ``"sequential"``, or ``"dask"`` (the cluster of the active
    ``dask.distributed.Client``). A run that diverges raises its :class:`TrainingDiverged` once the
    others have finished (they are in the model cache).
    """
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1, got {n_jobs}")
    if n_jobs > 1:  # one single-process job per core, rather than parallel runs stacked on each other
        configs = [replace(c, workers=1) if c.workers == 0 else c for c in configs]
    runs: dict[int, SweepRun | TrainingDiverged] = {}
    for i, config in enumerate(configs):  # the cached ones load here; only the others are grouped into jobs
        if is_cached(config):
            runs[i] = SweepRun(config, TrainingLog(load_checkpoint(cache_dir(config))["log"]), cache_dir(config))
    todo = [i for i in range(len(configs)) if i not in runs]
    jobs = [[todo[k] for k in job] for job in ensembles([configs[i] for i in todo], n_jobs, together)]
    if not jobs:  # everything was cached: no worker to start (joblib warns about an empty generator)
        return [runs[i] for i in range(len(configs))]  # type: ignore[misc]
    with warnings.catch_warnings(), joblib.parallel_config(
            backend=backend, n_jobs=n_jobs, inner_max_num_threads=1 if backend == "loky" else None):
        # loky replaces a worker whose memory grew by 300 MB (compiled graphs do that) and warns; the
        # worker's jobs go to its replacement, so the warning would only clutter a chapter's output
        warnings.filterwarnings("ignore", message="A worker stopped while some jobs", category=UserWarning)
        # longest jobs first, so that no core idles at the end
        jobs.sort(key=lambda job: -_cost([configs[i] for i in job]))
        done = joblib.Parallel(return_as="generator")(
            joblib.delayed(_run_together)([configs[i] for i in job]) for job in jobs)
        with tqdm(total=len(todo), desc="sweep", unit="run", disable=not progress) as bar:
            for job, results in zip(jobs, done):
                runs.update(zip(job, results))
                bar.update(len(job))
    failed = [r for r in runs.values() if isinstance(r, TrainingDiverged)]
    if failed:
        raise failed[0]
    return [runs[i] for i in range(len(configs))]  # type: ignore[misc]


# --------------------------------------------------------------------------------------------------
# Reading the logs of a sweep: learning curves against batches, samples seen and training time.


def batch_seconds(log: TrainingLog, checkpoint_every: int | None = None) -> np.ndarray:
    """Seconds spent on each batch of a run (one value per log row), one-off work left out.

    ``wall_s`` in a log counts everything since the run started. Three things in it are not the cost
    of a training batch: the first batch (it compiles the step), the test-set evaluation after an
    evaluation row, and the checkpoint written after every ``checkpoint_every``-th batch. Those
    batches get the median duration of the others instead.
    """
    wall = log.curve("wall_s").values if len(log) else np.array([])
    if wall.size == 0:
        return wall
    seconds = np.diff(wall, prepend=0.0)
    clean = np.ones(wall.size, dtype=bool)
    clean[0] = False
    for i in range(1, wall.size):
        previous = log[i - 1]
        if any(k.startswith("test_") for k in previous) or (
                checkpoint_every is not None and int(previous["batch"]) % checkpoint_every == 0):
            clean[i] = False
    if clean.any():
        seconds[~clean] = np.median(seconds[clean])
    return seconds


def seconds_per_batch(log: TrainingLog, checkpoint_every: int | None = None) -> float:
    """Median seconds per training batch of a run (compile, evaluations and checkpoints left out)."""
    return float(np.median(batch_seconds(log, checkpoint_every)))


def training_seconds(log: TrainingLog, checkpoint_every: int | None = None) -> np.ndarray:
    """Cumulative training time (s) at the end of each log row: :func:`batch_seconds` summed."""
    return np.cumsum(batch_seconds(log, checkpoint_every))


def moving_average(values: Sequence[float], window: int, centred: bool = False) -> np.ndarray:
    """Moving average of ``values`` over ``window`` points: trailing (the default) or centred.

    Trailing: element ``i`` is the mean of ``values[i : i + window]`` (length n - window + 1).
    ``centred``: as long as ``values``, each element the mean of the ``window`` points around it,
    fewer at the ends where the window runs out (a ``window`` of 1 or less returns the values).
    """
    values = np.asarray(values, dtype=float)
    if centred:
        return centred_average(values, window)
    if not 1 <= window <= values.size:
        raise ValueError(f"window must be between 1 and {values.size}, got {window}")
    return np.convolve(values, np.ones(window) / window, mode="valid")


def first_crossing(x: Sequence[float], y: Sequence[float], level: float) -> float:
    """The first ``x`` at which ``y`` falls to ``level`` (linear between samples); NaN if it never does."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    below = np.flatnonzero(y <= level)
    if below.size == 0:
        return float("nan")
    i = below[0]
    if i == 0 or y[i] == y[i - 1]:
        return float(x[i])
    return float(x[i - 1] + (level - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1]))


def start_metrics(config: TrainConfig) -> dict[str, float]:
    """Test-set metrics of a run's policy before its first batch (its initialisation, or its ``init``)."""
    from motorkit.closed_loop import Simulator
    from motorkit.rollouts import rollout
    from motorkit.training import build, load_policy

    env, policy = build(config)
    if config.init is not None:
        policy.load_state_dict(load_policy(config.init).policy.state_dict())
    return evaluation_columns(rollout(Simulator(env, policy), env.test_trials(), config.force_field()).metrics())


@dataclass
class SeedCurves:
    """The test-set learning curves of runs that differ only in their seed, on a shared batch grid.

    ``values`` and ``seconds`` are (seeds, points); point 0 is the policy before training (batch 0,
    0 s) when the curves were made with ``start=True``.
    """

    batch_size: int
    seeds: list[int]
    batches: np.ndarray
    values: np.ndarray
    seconds: np.ndarray
    seconds_per_batch: np.ndarray  # (seeds,)
    run_wall_s: np.ndarray  # (seeds,) the whole run as logged: compile and evaluations included

    @property
    def samples(self) -> np.ndarray:
        """Training samples (trials) seen at each point: batches x batch size."""
        return self.batches * self.batch_size

    @property
    def mean(self) -> np.ndarray:
        return self.values.mean(axis=0)

    @property
    def sd(self) -> np.ndarray:
        return self.values.std(axis=0, ddof=1) if len(self.seeds) > 1 else np.zeros(self.batches.size)

    def final(self, last_batches: int) -> np.ndarray:
        """Each seed's mean value over the evaluations of its last ``last_batches`` batches (seeds,)."""
        late = self.batches > self.batches[-1] - last_batches
        return self.values[:, late].mean(axis=1)

    def at(self, axis: str, x: float) -> np.ndarray:
        """Each seed's value at ``x`` on ``axis`` (``"batches"``, ``"samples"`` or ``"seconds"``), linear between points."""
        grid = {"batches": np.broadcast_to(self.batches, self.values.shape),
                "samples": np.broadcast_to(self.samples, self.values.shape), "seconds": self.seconds}[axis]
        return np.array([np.interp(x, g, v) for g, v in zip(grid, self.values)])


def seed_curves(runs: Sequence[SweepRun], key: str = "test_distance_cm",
                start: dict[int, dict[str, float]] | None = None) -> SeedCurves:
    """Stack the learning curves of ``runs`` (same configuration but the seed); ``start`` maps seed -> start metrics."""
    sizes = {r.config.batch_size for r in runs}
    if len(sizes) != 1:
        raise ValueError(f"seed_curves needs runs of one batch size, got {sorted(sizes)}")
    curves = [r.log.curve(key) for r in runs]
    n = min(len(b) for b, _ in curves)
    batches = curves[0][0][:n]
    values = np.array([v[:n] for _, v in curves])
    seconds = []
    for r in runs:
        cumulative = training_seconds(r.log, r.config.checkpoint_every)
        seconds.append(np.interp(batches, r.log.curve("batch").values, cumulative))
    seconds = np.array(seconds)
    if start is not None:
        batches = np.concatenate([[0.0], batches])
        values = np.column_stack([[start[r.config.seed][key] for r in runs], values])
        seconds = np.column_stack([np.zeros(len(runs)), seconds])
    return SeedCurves(batch_size=sizes.pop(), seeds=[r.config.seed for r in runs], batches=batches, values=values,
                      seconds=seconds,
                      seconds_per_batch=np.array([seconds_per_batch(r.log, r.config.checkpoint_every) for r in runs]),
                      run_wall_s=np.array([r.log[-1]["wall_s"] for r in runs]))


def costs_to_level(curves: dict[int, SeedCurves], level: float) -> dict[str, list[float]]:
    """What each batch size spends until the mean over seeds first falls to ``level``.

    ``curves`` maps batch size -> its :class:`SeedCurves`. Returns lists in the order of ``curves``:
    ``batches`` (updates), ``samples`` (reaches simulated: batches x batch size) and ``seconds``
    (training time, on the seeds' mean time axis); NaN where the level is never reached.
    """
    cost: dict[str, list[float]] = {"batches": [], "samples": [], "seconds": []}
    for size, c in curves.items():
        n = first_crossing(c.batches, c.mean, level)
        cost["batches"].append(n)
        cost["samples"].append(n * size)
        cost["seconds"].append(first_crossing(c.seconds.mean(axis=0), c.mean, level))
    return cost


def at_equal_time(curves: dict[int, SeedCurves]) -> tuple[float, np.ndarray]:
    """Compare batch sizes at equal training time: as long as the quickest one trained.

    Returns that time (s, the smallest mean training time of any batch size) and each batch size's
    mean value over seeds after training that long, in the order of ``curves``.
    """
    t_equal = float(min(c.seconds[:, -1].mean() for c in curves.values()))
    return t_equal, np.array([c.at("seconds", t_equal).mean() for c in curves.values()])


def effect_against_spread(final: dict[int, np.ndarray]) -> dict[str, float | np.ndarray]:
    """What the largest batch size buys over the smallest, network by network, against the spread.

    ``final`` maps batch size -> each network's final loss (networks in the same order). Returns the
    per-network ``gain`` (smallest minus largest: positive when the larger batch ends lower), its
    ``mean`` and ``sd`` over networks, and ``spread``: the standard deviation of the final loss between
    networks, averaged over batch sizes. An effect whose |mean| is below ``spread`` does not stand out
    from the differences between networks.
    """
    sizes = sorted(final)
    gain = np.asarray(final[sizes[0]], dtype=float) - np.asarray(final[sizes[-1]], dtype=float)
    spread = float(np.mean([np.std(final[b], ddof=1) for b in sizes]))
    return {"gain": gain, "mean": float(gain.mean()), "sd": float(gain.std(ddof=1)), "spread": spread}


def decrease_summary(losses: Sequence[float], window: int) -> dict[str, float]:
    """How a per-batch loss curve falls, measured on its ``window``-batch trailing moving average.

    ``initial`` and ``final`` are the first and last points of the average (the means of the first and
    last ``window`` batches) and ``ratio`` = final / initial. ``half_drop_batch`` is the batch at which
    the average has first fallen half-way from initial to final. Stability: ``largest_rise`` is the
    largest amount by which the average climbs back above its lowest value so far, as a fraction of
    the total drop (0 for a curve that never rises), and ``falling_fraction`` the fraction of
    batch-to-batch steps of the average that go down.
    """
    smooth = moving_average(losses, window)
    initial, final = float(smooth[0]), float(smooth[-1])
    drop = initial - final
    rise = float(np.max(smooth - np.minimum.accumulate(smooth)))
    batches = np.arange(window, len(losses) + 1)
    return {
        "initial": initial,
        "final": final,
        "ratio": final / initial,
        "half_drop_batch": first_crossing(batches, smooth, initial - 0.5 * drop) if drop > 0 else float("nan"),
        "largest_rise": rise / drop if drop > 0 else float("inf"),
        "falling_fraction": float(np.mean(np.diff(smooth) < 0)),
    }


def start_transient(log: TrainingLog, reference: float, key: str = "test_distance_cm",
                    window: int = 10) -> dict[str, float]:
    """What the first updates of a run do to its loss (fine-tuning: the optimiser starts afresh).

    ``first`` is the training loss on batch 1 (before any update; ``distance_cm``), ``jump`` the
    largest loss of the next ``window`` batches over it. On the test set, ``recovered_batch`` is the
    first evaluation after the test loss peaks at which it is back at or below ``reference`` (the
    test loss before training, e.g. at first exposure); NaN if it never is.
    """
    losses = log.curve("distance_cm").values
    batches, values = log.curve(key)
    peak = int(np.argmax(values)) if values.size else 0
    return {
        "first": float(losses[0]),
        "jump": float(losses[1:window + 1].max() / losses[0]),
        "test_peak": float(values[peak]) if values.size else float("nan"),
        "recovered_batch": first_crossing(batches[peak:], values[peak:], reference) if values.size else float("nan"),
    }


def loss_costs(log: TrainingLog, weights: LossWeights, n: int) -> dict[str, float]:
    """The costs beside the distance term of a run's loss, early (first ``n`` batches) and late (last ``n``).

    ``weights`` are the run's loss weights (``TrainConfig.loss_weights()``). Returns the costs' share
    of the loss at the end (``final``) and at the start (``early``, the median over the first batches),
    the effort and hidden-activity share at the end (``minor``), how much the weighted jerk cost changed
    (``jerk_change``: late mean over early median), the whole loss at the end over its first batch
    (``whole_ratio``), and the largest ratio of the loss to its distance term (``peak``): chapter 4's
    evidence that the distance term is what an adaptation run learns.
    """
    def column(name: str) -> np.ndarray:
        return log.curve(name).values

    loss, distance = column("loss"), column("loss_distance")
    jerk = weights.smoothness * column("loss_smoothness")
    minor = weights.effort * column("loss_effort") + weights.hidden * column("loss_hidden")
    return {"final": 1 - distance[-n:].mean() / loss[-n:].mean(),
            "early": float(np.median(1 - distance[:n] / loss[:n])),
            "minor": minor[-n:].mean() / loss[-n:].mean(),
            "jerk_change": jerk[-n:].mean() / np.median(jerk[:n]),
            "whole_ratio": loss[-n:].mean() / loss[0],
            "peak": float(np.max(loss / distance))}


def by_seed(table: Mapping[tuple[Hashable, int], Mapping[str, Any]], group: Hashable, key: str,
            seeds: Sequence[int]) -> list[Any]:
    """``key`` of a ``(group, seed)``-keyed table of summaries, one value per seed in ``seeds``' order.

    Chapter 4 keeps one summary per field and network; this reads one measure across the networks.
    """
    return [table[group, s][key] for s in seeds]
