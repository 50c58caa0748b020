"""Adaptation to curl fields: first exposure, learning in the field, and after-effects on catch trials.

The protocol of the book (and of Shadmehr & Mussa-Ivaldi 1994): a policy trained in the null field
meets the field (first exposure: paths hook in the field's direction), learns in it (fine-tuning from
the null-field weights), and is then tested with the field switched off (catch trials: the
after-effect, expected to mirror the first exposure).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import torch

from motorkit.fields import ForceField
from motorkit.rollouts import Rollout, rollout
from motorkit.training import TrainConfig, TrainResult, train_cached


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
        rows = [r for r in self.result.log if "test_lateral_cm" in r]
        batches = [0] + [int(r["batch"]) for r in rows]
        lateral = [self.first_exposure.metrics()["lateral_deviation_cm"]] + [r["test_lateral_cm"] for r in rows]
        return batches, lateral

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


@dataclass(frozen=True)
class _StackedFields:
    """Several curl fields in one batch: trial ``i`` gets ``matrices[i]`` (stands in for a ForceField in
    :func:`motorkit.rollouts.rollout`, which only asks for per-trial matrices and the field's name)."""

    kind: str
    matrices: torch.Tensor
    strength: float = float("nan")

    def trial_matrices(self, batch_size: int, generator: torch.Generator | None = None,
                       catch: bool = False) -> torch.Tensor:
        if batch_size != len(self.matrices):
            raise ValueError(f"{len(self.matrices)} field matrices for a batch of {batch_size}")
        return torch.zeros_like(self.matrices) if catch else self.matrices.clone()


def strength_sweep(policy: TrainResult, field: str, strengths: Sequence[float]) -> list[Rollout]:
    """The policy's 8 test reaches in a ``field`` curl field at each of ``strengths`` (N·s/m).

    One batched simulation for all strengths (eager rollouts cost about the same for 8 trials as for
    80), split back into one :class:`~motorkit.rollouts.Rollout` per strength, in order.
    """
    strengths = [float(k) for k in strengths]
    targets = policy.env.test_targets()
    n = len(targets)
    matrices = torch.cat([ForceField(field, k).matrix().expand(n, 2, 2) for k in strengths])
    trials = rollout(policy.simulator, targets.repeat(len(strengths), 1), _StackedFields(field, matrices),
                     config=policy.config.to_dict())
    out = []
    for i, k in enumerate(strengths):
        part = slice(i * n, (i + 1) * n)
        arrays = {name: getattr(trials, name)[part] for name in Rollout.ARRAYS}
        out.append(Rollout(**arrays, dt=trials.dt, config={**trials.config, "strength": k}))
    return out
