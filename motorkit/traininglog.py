"""The training log: one row per batch, and one way to read a learning curve out of it.

Every batch of training appends a row: ``batch`` (1, 2, ...), the loss and each of its terms
(``loss``, ``loss_distance``, ...; :mod:`motorkit.loss`), ``distance_cm`` (the distance term in cm),
the learning rate ``lr`` and the wall time ``wall_s`` since the run started. Every ``eval_every``
batches, and at the end, the row also holds the test set's metrics (``test_*``: :data:`EVALUATED`,
and ``test_adaptation_index`` when the run probes force channels). :meth:`TrainingLog.curve` is how
every chapter and module reads a curve: by column name, raw or smoothed, at the rows that hold the
column or at every batch.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Literal, Mapping, NamedTuple, overload

import numpy as np

#: The test-set metrics an evaluation logs: metric name (:meth:`motorkit.rollouts.Rollout.metrics`) -> column.
EVALUATED: dict[str, str] = {
    "endpoint_error_cm": "test_endpoint_error_cm",
    "lateral_deviation_cm": "test_lateral_cm",
    "angle_at_peak_velocity_deg": "test_angle_deg",
    "mean_distance_cm": "test_distance_cm",
}
#: The adaptation index on force-channel test trials (logged by runs with ``channel_probe``).
INDEX = "test_adaptation_index"


def evaluation_columns(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The log columns of a test-set evaluation, from a rollout's metrics."""
    return {column: float(metrics[name]) for name, column in EVALUATED.items()}


class Curve(NamedTuple):
    """A learning curve: the batch of each point and the value there."""

    batches: np.ndarray
    values: np.ndarray


def centred_average(values: np.ndarray, window: int) -> np.ndarray:
    """As long as ``values``, each point the mean of the ``window`` points around it (fewer at the ends)."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) < 2:
        return values
    kernel = np.ones(min(window, len(values)))
    return np.convolve(values, kernel, "same") / np.convolve(np.ones_like(values), kernel, "same")


class TrainingLog:
    """The rows of a training run, in batch order (a list of dicts underneath, as checkpoints store it)."""

    def __init__(self, rows: Iterable[Mapping[str, float]] = ()):
        self.rows: list[dict[str, float]] = [dict(row) for row in rows]

    def append(self, row: dict[str, float]) -> None:
        self.rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, float]]:
        return iter(self.rows)

    @overload
    def __getitem__(self, index: int) -> dict[str, float]: ...

    @overload
    def __getitem__(self, index: slice) -> "TrainingLog": ...

    def __getitem__(self, index: int | slice) -> "dict[str, float] | TrainingLog":
        return TrainingLog(self.rows[index]) if isinstance(index, slice) else self.rows[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TrainingLog):
            return self.rows == other.rows
        return isinstance(other, list) and self.rows == other

    def __repr__(self) -> str:
        return f"TrainingLog({len(self)} rows, columns {sorted(self.columns())})"

    def columns(self) -> set[str]:
        """Every column name that some row holds."""
        return {name for row in self.rows for name in row}

    def curve(self, name: str, smooth: int = 1, per: Literal["measured", "batch"] = "measured") -> Curve:
        """The curve of column ``name``.

        ``per="measured"``: a point at every row that holds the column (every batch for the training
        columns, every evaluation for the ``test_*`` ones); ``smooth`` > 1 takes a centred moving
        average over that many points. ``per="batch"``: a point at every batch, NaN where the column
        was not measured (no smoothing).
        """
        if per == "batch":
            if smooth > 1:
                raise ValueError("a per-batch curve has gaps (NaN) and is not smoothed; use per='measured'")
            return Curve(np.array([r["batch"] for r in self.rows], dtype=float),
                         np.array([r.get(name, np.nan) for r in self.rows], dtype=float))
        if per != "measured":
            raise ValueError(f"per must be 'measured' or 'batch', got {per!r}")
        rows = [r for r in self.rows if name in r]
        if not rows:
            hint = ": train with channel_probe=True" if name == INDEX else ""
            raise ValueError(f"the log holds no {name!r}{hint}")
        values = np.array([r[name] for r in rows], dtype=float)
        return Curve(np.array([r["batch"] for r in rows], dtype=float), centred_average(values, smooth))

    def last_evaluation(self) -> dict[str, float]:
        """The last row with a test-set evaluation (training evaluates every ``eval_every`` batches and at the end)."""
        for row in reversed(self.rows):
            if any(name.startswith("test_") for name in row):
                return row
        raise ValueError("the log holds no test-set evaluation")

    @staticmethod
    def joined(logs: Iterable["TrainingLog"], name: str, lengths: Iterable[int]) -> tuple[Curve, np.ndarray]:
        """Consecutive runs' curves of ``name`` as one, batches counted from the first run's start
        (run ``i`` is ``lengths[i]`` batches long), and the run of each point."""
        batches, values, which, offset = [], [], [], 0
        for i, (log, length) in enumerate(zip(logs, lengths)):
            if name in log.columns():
                b, v = log.curve(name)
                batches.append(offset + b)
                values.append(v)
                which.append(np.full(b.size, i))
            offset += length
        if not batches:
            return Curve(np.array([]), np.array([])), np.array([], dtype=int)
        return Curve(np.concatenate(batches), np.concatenate(values)), np.concatenate(which)
