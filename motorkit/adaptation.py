"""Adaptation to curl fields: first exposure, learning in the field, and after-effects on catch trials.

The protocol of the book (and of Shadmehr & Mussa-Ivaldi 1994): a policy trained in the null field
meets the field (first exposure: paths hook in the field's direction), learns in it (fine-tuning from
the null-field weights), and is then tested with the field switched off (catch trials: the
after-effect, expected to mirror the first exposure).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np

from motorkit.fields import ForceField
from motorkit.rollouts import Rollout, rollout_together
from motorkit.modelcache import train_cached
from motorkit.training import TrainConfig, TrainResult


@dataclass
class Adaptation:
    """Everything the adaptation chapter shows for one field."""

    field: ForceField
    baseline: Rollout  # null policy, null field
    first_exposure: Rollout  # null policy, field on
    adapted: Rollout  # adapted policy, field on
    aftereffect: Rollout  # adapted policy, field off (catch trials)
    result: TrainResult  # the adapted policy and its training log

    def learning_curve(self) -> tuple[list[int], list[float]]:
        """Signed lateral deviation (cm, mean over the 8 targets) against batches of training in the field.

        Batch 0 is the first exposure.
        """
        batches, lateral = self.result.log.curve("test_lateral_cm")
        return [0, *batches.astype(int).tolist()], [self.first_exposure.metrics()["lateral_deviation_cm"], *lateral.tolist()]

    def summary(self) -> dict[str, Any]:
        """Mean metrics of the four conditions (cm, deg) and the final training loss."""
        out: dict[str, Any] = {}
        for name in ("baseline", "first_exposure", "adapted", "aftereffect"):
            m = getattr(self, name).metrics()
            out[f"{name}_lateral_cm"] = m["lateral_deviation_cm"]
            out[f"{name}_angle_deg"] = m["angle_at_peak_velocity_deg"]
            out[f"{name}_endpoint_error_cm"] = m["endpoint_error_cm"]
        out["final_loss"] = self.result.log[-1]["loss"]
        return out


def adaptation_config(null: TrainConfig, field: str, strength: float = 8.0, batches: int = 200,
                      seed: int | None = None, **overrides: Any) -> TrainConfig:
    """The fine-tuning run in ``field``: the null-field configuration, the field on, learning from its weights."""
    defaults = dict(field=field, strength=strength, batches=batches, lr=3e-3, lr_final=3e-4, eval_every=2,
                    target_error_cm=None, seed=null.seed if seed is None else seed)
    defaults.update(overrides)
    return replace(null, **defaults)


def adapt(null: TrainResult, field: str, strength: float = 8.0, batches: int = 200, seed: int | None = None,
          progress: bool = True, **overrides: Any) -> Adaptation:
    """Run the protocol in one field, starting from the null-field policy ``null`` (cached on disk)."""
    if null.out is None:
        raise ValueError("adapt needs a null-field policy with a checkpoint folder (train it with train_cached)")
    config = adaptation_config(null.config, field, strength, batches, seed, init=str(null.out), **overrides)
    adapted = train_cached(config, progress=progress)
    on = config.force_field()
    return Adaptation(
        field=on,
        baseline=null.evaluate(ForceField("null")),
        first_exposure=null.evaluate(on),
        adapted=adapted.evaluate(on),
        aftereffect=adapted.evaluate(on, catch=True),
        result=adapted,
    )


def strength_sweep(policy: TrainResult, field: str, strengths: Sequence[float]) -> list[Rollout]:
    """The policy's 8 test reaches in a ``field`` curl field at each of ``strengths`` (N·s/m), in order.

    One closed loop for all strengths (:func:`~motorkit.rollouts.rollout_together`), each strength with
    the noise of :meth:`TrainResult.evaluate`, so that only the field differs between them (k = 0 is the
    catch trial of ``evaluate(..., catch=True)``).
    """
    n = len(strengths)
    trials = rollout_together([policy.simulator] * n, [policy.env.test_trials()] * n,
                              [ForceField(field, k) for k in strengths], configs=[policy.config.to_dict()] * n)
    for part, k in zip(trials, strengths):
        part.config["strength"] = float(k)
    return trials


def settle_batch(batches: Sequence[int], lateral: Sequence[float], fraction: float = 0.25) -> int | None:
    """The first batch from which the deviation stays within ``fraction`` of the first exposure's.

    ``batches`` and ``lateral`` are a learning curve (:meth:`Adaptation.learning_curve`), batch 0 the
    first exposure. ``None`` when the last point is still outside the bound (not settled yet).
    """
    bound = fraction * abs(lateral[0])
    outside = [i for i, value in enumerate(lateral) if abs(value) > bound]
    last = outside[-1]
    return None if last == len(lateral) - 1 else int(batches[last + 1])


def balance_strength(strengths: Sequence[float], lateral: Sequence[float]) -> float:
    """The field strength (N·s/m) at which the mean lateral deviation first changes sign.

    Linear interpolation between the two grid points on either side; NaN if it never changes sign.
    An adapted network crosses zero near the strength it learned: weaker fields are over-compensated.
    """
    k, y = np.asarray(strengths, dtype=float), np.asarray(lateral, dtype=float)
    change = np.flatnonzero(np.sign(y[1:]) != np.sign(y[:-1]))
    if change.size == 0:
        return float("nan")
    i = int(change[0])
    return float(k[i] - y[i] * (k[i + 1] - k[i]) / (y[i + 1] - y[i]))


#: The conditions of a curl-field run whose hand paths chapter 3 compares, in the order it shows them.
CONDITIONS: tuple[str, ...] = ("first_exposure", "adapted", "aftereffect")


def conditions(runs: Mapping[str, Adaptation], names: Sequence[str] = CONDITIONS) -> dict[str, dict[str, Rollout]]:
    """Each field's rollouts of the named conditions: ``{field: {condition: rollout}}``.

    ``runs`` holds one :class:`Adaptation` per field (e.g. CW and CCW), so that a figure can set the
    first exposure, the adapted reaches and the after-effects of both fields side by side.
    """
    return {field: {name: getattr(run, name) for name in names} for field, run in runs.items()}


def field_exposure(null: TrainResult, adapted: TrainResult, field: str, strength: float) -> dict[str, Rollout]:
    """The test reaches of the null-field and the adapted network in a curl field of any ``strength``.

    ``{"null": ..., "adapted": ...}``: a field the null network meets for the first time, against one
    the adapted network learned at another strength (chapter 3's figure over field strengths).
    """
    load = ForceField(field, strength)
    return {"null": null.evaluate(load), "adapted": adapted.evaluate(load)}
