"""Rollouts: the book's one trajectory record, and the recorder that fills it from the closed loop.

:class:`Rollout` is batch first: B trials, T steps, every array ``(B, T or T+1, ...)`` in SI units.
The same record holds closed-loop reaches (:func:`rollout`) and chapter 1's open-loop simulations
(:func:`motorkit.effectors.simulate_constant`, where the network's ``hidden`` state has zero width).
Trials are sliced with :meth:`Rollout.take` and :meth:`Rollout.split`; a record is saved as ``.npz``
plus a JSON sidecar holding its configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from motorkit import metrics as reach_metrics
from motorkit.closed_loop import EpisodeRunner, Simulator
from motorkit.ensemble import StackedPolicy, member_interventions
from motorkit.fields import ForceField, TrialFields, ViscousField
from motorkit.io import atomic_write, write_json
from motorkit.loss import Batch
from motorkit.policy import Intervention
from motorkit.tasks import Trials


@dataclass
class Rollout:
    """A recorded set of trials. B = trials, T = steps; arrays are numpy, SI units."""

    hand: np.ndarray  # (B, T+1, 2) hand position, initial state first (m)
    velocity: np.ndarray  # (B, T+1, 2) hand velocity (m/s)
    joint: np.ndarray  # (B, T+1, 2*dof) joint positions then velocities (rad, rad/s; m, m/s for the point mass)
    action: np.ndarray  # (B, T, M) command applied to the muscles, noise included
    endpoint_load: np.ndarray  # (B, T, 2) external force at the hand during each step (N)
    hidden: np.ndarray  # (B, T+1, H) GRU hidden state, initial state first (H = 0 open loop)
    target: np.ndarray  # (B, 2) target position (m); NaN where there is none (open loop)
    activation: np.ndarray  # (B, T+1, M) muscle activation state
    muscle: np.ndarray  # (B, T+1, S, M) motornet's whole muscle state (S = muscle.state_name)
    dt: float
    config: dict[str, Any] = field(default_factory=dict)

    ARRAYS = ("hand", "velocity", "joint", "action", "endpoint_load", "hidden", "target", "activation",
              "muscle")

    def __len__(self) -> int:
        return len(self.hand)

    @property
    def time(self) -> np.ndarray:
        """Time of each recorded state (T+1,) in seconds, 0 first."""
        return np.arange(self.hand.shape[1]) * self.dt

    @property
    def start(self) -> np.ndarray:
        """Hand position at the first step (B, 2)."""
        return self.hand[:, 0]

    @property
    def displacement(self) -> np.ndarray:
        """Final minus initial hand position (B, 2) in metres."""
        return self.hand[:, -1] - self.hand[:, 0]

    def metrics(self) -> dict[str, Any]:
        """The book's metrics (book/conventions.md) per trial and their means; see :mod:`motorkit.metrics`."""
        return reach_metrics.summarize(self.hand, self.velocity, self.target, self.dt)

    def channel_force(self) -> np.ndarray:
        """On force-channel trials, the lateral force (N, + left) the hand presses into the wall (B, T)."""
        if self.config.get("field") != "channel":
            raise ValueError(f"channel forces need force-channel trials; these ran in {self.config.get('field')!r}")
        return reach_metrics.channel_force(self.endpoint_load, self.hand, self.target)

    def ideal_channel_force(self, field: ForceField | ViscousField) -> np.ndarray:
        """The lateral force (N, + left) that would cancel ``field`` at each step's speed along the channel (B, T)."""
        return reach_metrics.ideal_channel_force(self.velocity[:, :-1], self.hand, self.target,
                                                 field.matrix().numpy())

    def adaptation_index(self, field: ForceField | ViscousField) -> float:
        """On force-channel trials, how much of ``field`` the hand's force cancels (0 none, 1 all).

        The regression of :meth:`channel_force` on the force that cancels ``field`` at the speed along
        the channel (:func:`motorkit.metrics.adaptation_index`).
        """
        return reach_metrics.adaptation_index(self.channel_force(), self.ideal_channel_force(field))

    def take(self, index: np.ndarray | Sequence[int] | slice) -> "Rollout":
        """The trials ``index`` as a rollout of their own."""
        index = index if isinstance(index, slice) else np.asarray(index)
        arrays = {name: getattr(self, name)[index] for name in self.ARRAYS}
        return Rollout(**arrays, dt=self.dt, config=dict(self.config))

    def split(self, parts: int) -> list["Rollout"]:
        """``parts`` rollouts of consecutive, equally many trials (a batched sweep back into its conditions)."""
        if parts < 1 or len(self) % parts:
            raise ValueError(f"cannot split {len(self)} trials into {parts} equal parts")
        n = len(self) // parts
        return [self.take(slice(i * n, (i + 1) * n)) for i in range(parts)]

    def save(self, path: str | Path) -> Path:
        """Write ``path`` (.npz with the arrays) and its JSON sidecar (configuration), atomically."""
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"rollout files end in .npz, got {path.name!r}")
        arrays = {name: getattr(self, name) for name in self.ARRAYS}
        sidecar = {"dt": self.dt, "config": self.config, "shapes": {k: list(v.shape) for k, v in arrays.items()}}
        write_json(path.with_suffix(".json"), sidecar)

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)

        return atomic_write(path, write)

    @classmethod
    def load(cls, path: str | Path) -> "Rollout":
        """Read a rollout written by :meth:`save`."""
        path = Path(path)
        sidecar = json.loads(path.with_suffix(".json").read_text())
        with np.load(path) as data:
            # a file saved before Rollout.fingertip was renamed Rollout.hand holds the hand path as "fingertip"
            old = {"hand": "fingertip"} if "fingertip" in data.files and "hand" not in data.files else {}
            arrays = {name: data[old.get(name, name)] for name in cls.ARRAYS}
        return cls(**arrays, dt=sidecar["dt"], config=sidecar["config"])


def stack_steps(steps: Sequence[torch.Tensor]) -> np.ndarray:
    """Per-step tensors (B, ...) as one batch-first numpy array (B, steps, ...)."""
    return torch.stack(list(steps), dim=1).detach().cpu().numpy()


def with_start(first: torch.Tensor, steps: torch.Tensor) -> np.ndarray:
    """The state before the first step (B, ...) and after every step (T, B, ...) as one batch-first
    record (B, T+1, ...)."""
    return torch.cat([first[None], steps]).transpose(0, 1).detach().cpu().numpy()


def rollout(
    sim: Simulator,
    trials: Trials | torch.Tensor,
    field: TrialFields = ForceField(),
    catch: bool = False,
    interventions: Sequence[Intervention] = (),
    seed: int = 0,
    config: dict[str, Any] | None = None,
) -> Rollout:
    """Run ``trials`` in ``field`` and record everything (eager, no gradients).

    ``trials`` are :class:`~motorkit.tasks.Trials`, or targets (B, 2) reached from the task's test posture.

    ``field`` is a :class:`~motorkit.fields.ForceField`, :class:`~motorkit.fields.FieldBatch` or
    :class:`~motorkit.fields.ForceChannel`.
    ``interventions`` act at the steps of each one's window on the signal its site names
    (:class:`motorkit.policy.Intervention`: the hidden state, after the GRU update and before the
    readout; :mod:`motorkit.perturbations`: the body and the senses), exactly as in training. The
    record's target is where the target ends up after any target jump (the schedule's last goal),
    and its configuration holds every perturbation's spec (``perturbations``).
    """
    return rollout_together([sim], [trials], [field], catch, [interventions], seed, [config])[0]


@torch.no_grad()
def rollout_together(
    sims: Sequence[Simulator],
    trials: Sequence[Trials | torch.Tensor],
    fields: Sequence[TrialFields],
    catch: bool = False,
    interventions: Sequence[Sequence[Intervention]] | None = None,
    seed: int = 0,
    configs: Sequence[dict[str, Any] | None] | None = None,
) -> list[Rollout]:
    """:func:`rollout` of several networks of one shape at once (each its own trials, field,
    interventions and configuration), in one closed loop: their policies stacked
    (:class:`motorkit.ensemble.StackedPolicy`), each network's trials drawn and recorded as by
    :func:`rollout` alone. What training evaluates networks trained together with."""
    n = len(sims)
    interventions = [()] * n if interventions is None else interventions
    configs = [None] * n if configs is None else configs
    trials = [(t if isinstance(t, Trials) else sim.env.trials_to(t)).to(sim.device) for sim, t in zip(sims, trials)]
    if len({len(t.target) for t in trials}) > 1:
        raise ValueError("networks rolled out together need as many trials each")
    cfg = sims[0].env.config
    n_steps = cfg.n_steps
    batches = []
    for sim, own, field in zip(sims, trials, fields):  # each network's forces and noise, drawn as alone
        generator = torch.Generator().manual_seed(seed)
        load = field.trial_loads(own, generator, catch=catch).to(sim.device)
        batches.append(Batch(own, load, sim.draw_noise(n_steps, len(own.target), generator, pushes=False)))
    batch = Batch.stack(batches)
    sim = sims[0] if n == 1 else Simulator(sims[0].env, StackedPolicy([s.policy for s in sims]))
    out, schedule, first = EpisodeRunner(sim, unroll=1, compile=False).run(
        batch.trials, batch.load, batch.noise, member_interventions(interventions), record=True)
    # where each target ends up: the schedule's last goal, which moves with any target jump (no-go trials
    # hold their start, and keep their target)
    target = torch.where((batch.trials.go < n_steps)[:, None], schedule.goal[-1], batch.trials.target)
    hand = with_start(sim.effector.joint2cartesian(first.joint), out.hand)
    muscle = with_start(first.muscle, out.muscle)
    whole = Rollout(
        hand=hand[..., :2], velocity=hand[..., 2:], joint=with_start(first.joint, out.joint),
        action=out.action.transpose(0, 1).cpu().numpy(), endpoint_load=out.load.transpose(0, 1).cpu().numpy(),
        hidden=with_start(first.hidden, out.hidden), target=target.cpu().numpy(),
        activation=muscle[:, :, 0], muscle=muscle, dt=cfg.dt,
    )
    records = whole.split(n)
    for record, own, field, ivs, config in zip(records, trials, fields, interventions, configs):
        record.config = dict(config or {})
        record.config.update(field.describe())
        record.config.update(catch=catch, seed=seed, interventions=[type(i).__name__ for i in ivs],
                             perturbations=[i.spec() for i in ivs if i.site != "hidden"],
                             go_step=own.go.cpu().tolist(), go_s=(cfg.dt * own.go.cpu().numpy()).round(6).tolist(),
                             no_go=(own.go >= n_steps).cpu().tolist())
    return records
