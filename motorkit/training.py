"""Training: backpropagation through the effector on the poster's Euclidean distance loss, plus costs.

The loss (:mod:`motorkit.loss`) is the hand-goal distance (metres) where the task asks for the
position, plus weighted costs of effort (``effort_weight``), hand jerk (``smoothness_weight``) and
hidden activity (``hidden_weight``); every term is logged per batch. One gradient step is :func:`train_step`, short
enough to read; :func:`train` draws batches, calls it, evaluates, logs and checkpoints.

Training is seeded and deterministic: the same configuration gives the same loss curve, and a run
resumed from its checkpoint ends exactly where an uninterrupted run ends. Checkpoint files are
:mod:`motorkit.checkpoints`; the model cache, which trains a configuration only once, is
:mod:`motorkit.modelcache`; the per-batch log is a :class:`~motorkit.traininglog.TrainingLog`.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Sequence

import torch
from tqdm.auto import tqdm

from motorkit import parallel
from motorkit.checkpoints import load_checkpoint, save_checkpoint
from motorkit.closed_loop import EpisodeRunner, Simulator
from motorkit.errors import CheckpointError, MotorkitError, TrainingDiverged
from motorkit.fields import ForceChannel, ForceField, TrialFields, ViscousField, make_field
from motorkit.ensemble import StackedPolicy, check_shapes, member_interventions, networks
from motorkit.loss import Batch, LossWeights, episode_loss
from motorkit.policy import GRUPolicy, Intervention, from_spec
import motorkit.perturbations  # noqa: F401  (its kinds of intervention, for from_spec)
from motorkit.rollouts import Rollout, rollout, rollout_together
from motorkit.tasks import CentreOutReach, TaskConfig
from motorkit.traininglog import EVALUATED, INDEX, TrainingLog, evaluation_columns

__all__ = ["TrainConfig", "TrainResult", "build", "draw_batch", "train_step", "train", "train_together", "load_policy",
           "MotorkitError", "TrainingDiverged", "CheckpointError"]


#: One logged row of a training step: the loss and each of its terms.
Row = dict[str, float]


@dataclass(frozen=True)
class TrainConfig(TaskConfig):
    """The full configuration of a training run: the task (inherited), field, network, optimiser, budget."""

    field: str = "null"
    strength: float = 8.0
    catch_fraction: float = 0.0
    viscosity: tuple[float, ...] = ()  # field="viscous": its matrix B11 B12 B21 B22 (N·s/m)
    hidden: int = 64
    batch_size: int = 64
    batches: int = 3000
    lr: float = 3e-3
    lr_final: float = 3e-4
    grad_clip: float = 1.0
    effort_weight: float = 1e-2
    smoothness_weight: float = 3e-5
    hidden_weight: float = 1e-3
    seed: int = 0
    eval_every: int = 25
    channel_probe: bool = False  # evaluations also log the adaptation index on channel trials (force fields)
    probe_field: str = ""  # the curl field the adaptation index is measured against; "": the run's own field
    interventions: tuple[str, ...] = ()  # interventions the network learns (and is tested) under, hidden-state
    # ones or perturbations, each as the JSON of its spec (motorkit.policy.Intervention.spec; dicts and
    # Intervention objects are accepted)
    target_error_cm: float | None = None
    checkpoint_every: int = 100
    compile: bool = True
    unroll: int = 2
    workers: int = 0  # processes sharing each batch; 0: motorkit.parallel.workers_for chooses
    device: str = "cpu"
    init: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()  # validates effector, times and delays
        object.__setattr__(self, "viscosity", tuple(float(b) for b in self.viscosity))  # a list read from JSON, too
        object.__setattr__(self, "interventions", tuple(_spec_json(i) for i in self.interventions))
        for name in ("hidden", "batch_size", "batches", "eval_every", "checkpoint_every", "unroll"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', '-')} must be a positive count, got {getattr(self, name)}")
        if self.workers < 0:
            raise ValueError(f"workers must be 0 (choose automatically) or a count of processes, got {self.workers}")
        if not (self.lr > 0 and self.lr_final > 0):
            raise ValueError(f"learning rates must be > 0, got lr={self.lr}, lr_final={self.lr_final}")
        self.force_field()  # validates field, strength and catch fraction
        if self.probe_field:
            make_field(self.probe_field, self.strength)
        for intervention in self.held_interventions():  # validates them
            intervention.check(self.hidden)
        if self.n_steps % self.unroll:
            raise ValueError(f"unroll={self.unroll} must divide the {self.n_steps} steps of an episode")

    def task_config(self) -> TaskConfig:
        names = {f.name for f in fields(TaskConfig)}
        return TaskConfig(**{k: v for k, v in asdict(self).items() if k in names})

    def force_field(self) -> ForceField | ViscousField | ForceChannel:
        """The field of the run: a curl (or null) field, a viscous field, or the force channel."""
        return make_field(self.field, self.strength, self.catch_fraction, self.viscosity)

    def probe(self) -> ForceField | ViscousField | ForceChannel:
        """The field the adaptation index of the evaluations is measured against (``probe_field`` or the run's)."""
        return make_field(self.probe_field, self.strength) if self.probe_field else self.force_field()

    def held_interventions(self) -> list[Intervention]:
        """The interventions the network learns and is tested under (``interventions``): hidden-state ones
        (:mod:`motorkit.policy`) or perturbations of the body and senses (:mod:`motorkit.perturbations`)."""
        return [from_spec(json.loads(spec)) for spec in self.interventions]

    def loss_weights(self) -> LossWeights:
        """The weights of the loss terms (:mod:`motorkit.loss`)."""
        return LossWeights(distance=1.0, effort=self.effort_weight, smoothness=self.smoothness_weight,
                           hidden=self.hidden_weight)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def learning_rate(self, batch: int) -> float:
        """Cosine schedule from ``lr`` at batch 0 to ``lr_final`` at the last batch."""
        frac = min(1.0, batch / max(1, self.batches - 1))
        return self.lr_final + 0.5 * (self.lr - self.lr_final) * (1 + math.cos(math.pi * frac))


@dataclass
class TrainResult:
    """What training returns: the policy, its task, the per-batch log and the checkpoint folder."""

    policy: GRUPolicy
    env: CentreOutReach
    config: TrainConfig
    log: TrainingLog
    out: Path | None

    @property
    def simulator(self) -> Simulator:
        return Simulator(self.env, self.policy)

    def evaluate(self, field: TrialFields | None = None, catch: bool = False, start: Sequence[float] | None = None,
                 reach: float | None = None, go: int | None = None, **kwargs: Any) -> Rollout:
        """Roll the policy out on the 8-target test set (default: the training field), from any ``start``.

        ``start`` is (shoulder, elbow) deg for the arm, (x, y) m for the point mass (default: the test
        posture); ``reach`` the distance of the targets in metres (default: the task's); ``go`` the step
        of the go cue (default: the middle of the delay range; the episode's length or more: no cue).
        """
        field = self.config.force_field() if field is None else field
        # an intervention the network learned under is part of it
        interventions = [*self.config.held_interventions(), *kwargs.pop("interventions", ())]
        return rollout(self.simulator, self.env.test_trials(start, reach, go=go), field, catch=catch,
                       config=self.config.to_dict(), interventions=interventions, **kwargs)


def build(config: TrainConfig) -> tuple[CentreOutReach, GRUPolicy]:
    """The task and a freshly initialised policy (initialisation seeded by ``config.seed``)."""
    env = CentreOutReach(config.task_config()).to(config.device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        policy = GRUPolicy(env.n_inputs, env.n_muscles, config.hidden).to(config.device)
    return env, policy


def draw_batch(env: CentreOutReach, sim: Simulator, field: TrialFields, batch_size: int,
               generator: torch.Generator) -> Batch:
    """A batch of random training trials: starts, targets and go cues, per-trial fields (catch trials drawn), noise."""
    trials = env.sample_trials(batch_size, generator).to(sim.device)
    loads = field.trial_loads(trials, generator).to(sim.device)
    noise = sim.draw_noise(env.config.n_steps, batch_size, generator)
    return Batch(trials, loads, noise)


def train_step(runner: EpisodeRunner, optimizer: torch.optim.Optimizer,
               batch: Batch, weights: LossWeights, grad_clip: float,
               group: parallel.Group = parallel.SINGLE,
               interventions: Sequence[Intervention] = ()) -> list[Row]:
    """One gradient step of each network: run the episode, weigh the loss
    terms, backpropagate through the body, clip, update the weights."""
    terms = episode_loss(runner, batch, interventions)  # (networks,) each
    losses = weights.total(terms)  # each network's loss
    optimizer.zero_grad(set_to_none=True)
    losses.sum().backward()  # through network, muscles and skeleton
    policy = runner.sim.policy  # the batch's gradients, if it was shared out:
    total = group.average(policy.parameters(), [losses, *terms.values()])
    for net, loss in zip(networks(policy), total[0].tolist()):
        if math.isfinite(loss):  # networks share no weights: clip each
            torch.nn.utils.clip_grad_norm_(net.parameters(), grad_clip)
        else:  # a diverged network keeps its weights; the loop stops it
            net.zero_grad(set_to_none=True)
    optimizer.step()
    names = ["loss", *(f"loss_{name}" for name in terms)]
    return [dict(zip(names, values)) for values in total.T.tolist()]


def load_policy(path: str | Path, device: str = "cpu") -> TrainResult:
    """Load a trained policy and its task from a checkpoint folder."""
    payload = load_checkpoint(path)
    config = replace(TrainConfig.from_dict(payload["config"]), device=device)
    env, policy = build(config)
    try:
        policy.load_state_dict(payload["policy"])
    except (RuntimeError, KeyError) as exc:
        raise CheckpointError(f"checkpoint {path} does not fit its configuration: {exc}".splitlines()[0]) from None
    return TrainResult(policy, env, config, TrainingLog(payload["log"]), Path(path))


def _resume_state(out: Path | None, config: TrainConfig) -> dict[str, Any] | None:
    if out is None or not (out / "checkpoint.pt").exists():
        return None
    payload = load_checkpoint(out)
    saved = TrainConfig.from_dict(payload["config"])
    if replace(saved, batches=config.batches, device=config.device, workers=config.workers) != config:
        raise CheckpointError(f"{out} holds a checkpoint of a different configuration; choose another --out")
    return payload


def train(
    config: TrainConfig, out: str | Path | None = None, progress: bool = True, deadline_s: float | None = None
) -> TrainResult:
    """Train a policy; write checkpoints to ``out`` (resuming from one there); return the result.

    Stops early when ``config.target_error_cm`` is set and the test-set endpoint error falls below it.
    Stops after ``deadline_s`` seconds of this call, if given (a time cap for benchmarks).
    Raises :class:`TrainingDiverged` on a NaN/Inf loss, leaving the last good checkpoint in place.
    Large batches are shared out over two processes (:mod:`motorkit.parallel`; ``config.workers``).
    """
    result = train_together([config], [out], progress, deadline_s)[0]
    if isinstance(result, TrainingDiverged):
        raise result
    return result


def train_together(configs: Sequence[TrainConfig], outs: Sequence[str | Path | None] | None = None,
                   progress: bool = True, deadline_s: float | None = None) -> list[TrainResult | TrainingDiverged]:
    """Train networks of one shape together, in one compiled episode (:mod:`motorkit.ensemble`); each
    one's result, or the :class:`TrainingDiverged` that stopped it alone, in the order of ``configs``.

    Each network is trained exactly as :func:`train` trains it alone (to float32 rounding): its own
    configuration, random stream, schedule, evaluations, early stop and checkpoints in ``outs``.
    """
    if not configs:
        return []
    check_shapes(configs)
    outs = [None] * len(configs) if outs is None else [None if o is None else Path(o) for o in outs]
    if len(outs) != len(configs):
        raise ValueError(f"got {len(outs)} checkpoint folders for {len(configs)} networks")
    firsts = [_first_batch(out) for out in outs]
    if len(set(firsts)) > 1:  # resumed from different batches: one ensemble per batch they resume at
        results: list[TrainResult | TrainingDiverged | None] = [None] * len(configs)
        for first in sorted(set(firsts)):
            part = [i for i, f in enumerate(firsts) if f == first]
            for i, r in zip(part, train_together([configs[i] for i in part], [outs[i] for i in part],
                                                 progress, deadline_s)):
                results[i] = r
        return results  # type: ignore[return-value]
    workers = parallel.workers_for(configs[0].batch_size, configs[0].workers, configs[0].device)
    if workers == 1:
        return _train(configs, outs, progress, deadline_s)
    with parallel.group(workers, _train, (configs, outs, False, deadline_s)) as group:
        return _train(configs, outs, progress, deadline_s, group=group)


def _first_batch(out: Path | None) -> int:
    """The batch a run resumes after: its checkpoint's, or 0."""
    return int(load_checkpoint(out)["batch"]) if out is not None and (out / "checkpoint.pt").exists() else 0


@dataclass
class _Run:
    """One network of a training call: what it is, its random stream and log, and where it stands."""

    config: TrainConfig
    out: Path | None
    env: CentreOutReach
    policy: GRUPolicy
    generator: torch.Generator
    log: TrainingLog
    optimizer_state: dict[str, Any] | None
    sim: Simulator  # its own closed loop: its batches' noise, its tests
    held: list[Intervention]  # the interventions it learns and is tested under
    last_saved: int = 0
    stopped: bool = False
    failed: TrainingDiverged | None = None

    @property
    def active(self) -> bool:
        return not (self.stopped or self.failed)


def _start(config: TrainConfig, out: Path | None) -> _Run:
    """A network ready to train: fresh, fine-tuned from ``config.init``, or resumed from ``out``."""
    env, policy = build(config)
    if config.init is not None:
        init = load_policy(config.init, config.device)
        if init.config.effector != config.effector or init.config.hidden != config.hidden:
            raise CheckpointError(f"cannot fine-tune from {config.init}: it is a {init.config.effector} policy "
                                  f"with {init.config.hidden} hidden units")
        policy.load_state_dict(init.policy.state_dict())
    run = _Run(config, out, env, policy, torch.Generator().manual_seed(config.seed + 1), TrainingLog(), None,
               Simulator(env, policy), config.held_interventions())
    resumed = _resume_state(out, config)
    if resumed is not None:
        policy.load_state_dict(resumed["policy"])
        run.generator.set_state(resumed["generator"])
        run.log, run.optimizer_state = TrainingLog(resumed["log"]), resumed["optimizer"]
        run.last_saved = int(resumed["batch"])
    return run


def member_optimizer_state(optimizer: torch.optim.Optimizer, member: int) -> dict[str, Any]:
    """Member ``member``'s part of an ensemble's optimiser (its parameter group) as the state of an
    optimiser of its own, so that its checkpoint is the one training it alone would write."""
    full = optimizer.state_dict()
    group = full["param_groups"][member]
    return {"state": {i: full["state"][p] for i, p in enumerate(group["params"]) if p in full["state"]},
            "param_groups": [{**group, "params": list(range(len(group["params"])))}]}


def _load_member_states(optimizer: torch.optim.Optimizer, states: Sequence[dict[str, Any] | None]) -> None:
    """Put each member's own optimiser state (from its checkpoint) into the ensemble's optimiser."""
    if all(state is None for state in states):
        return
    full = optimizer.state_dict()
    for group, state in zip(full["param_groups"], states):
        if state is not None:
            full["state"].update({group["params"][int(i)]: v for i, v in state["state"].items()})
            group.update({k: v for k, v in state["param_groups"][0].items() if k != "params"})
    optimizer.load_state_dict(full)


def _train(configs: Sequence[TrainConfig], outs: Sequence[Path | None], progress: bool, deadline_s: float | None,
           group: parallel.Group = parallel.SINGLE) -> list[TrainResult | TrainingDiverged]:
    """The training loop of one process of ``group`` (its leader logs, evaluates and checkpoints)."""
    runs = [_start(config, out) for config, out in zip(configs, outs)]
    first, n = runs[0].last_saved, len(runs)
    policy = StackedPolicy([r.policy for r in runs])
    # one Adam, one parameter group (and learning rate) per network: each updated as by an Adam of its own
    optimizer = torch.optim.Adam([{"params": list(r.policy.parameters())} for r in runs], lr=configs[0].lr)
    _load_member_states(optimizer, [r.optimizer_state for r in runs])
    runner = EpisodeRunner(Simulator(runs[0].env, policy), configs[0].unroll, configs[0].compile)
    fields_ = [c.force_field() for c in configs]
    weights = LossWeights.stack([c.loss_weights() for c in configs])
    interventions = member_interventions([r.held for r in runs])
    batches: list[Batch | None] = [None] * n
    elapsed0 = [r.log[-1]["wall_s"] if r.log else 0.0 for r in runs]
    last = max(c.batches for c in configs)
    t_start = time.perf_counter()

    def save(r: _Run, i: int, batch: int, finished: bool = False) -> None:
        save_checkpoint(r.out, r.policy, member_optimizer_state(optimizer, i), r.generator, r.config.to_dict(),
                        batch, r.log.rows, finished)
        r.last_saved = batch

    name = f"{configs[0].effector}/{configs[0].field}" if n == 1 else f"{n} {configs[0].effector} networks"
    bar = tqdm(range(first, last), desc=f"train {name}", disable=not (progress and group.leader), initial=first,
               total=last, unit="batch")
    try:
        for batch in bar:
            for i, r in enumerate(runs):
                if r.active:
                    optimizer.param_groups[i]["lr"] = r.config.learning_rate(batch)
                    batches[i] = draw_batch(r.env, r.sim, fields_[i], r.config.batch_size, r.generator)
            trials = group.take(Batch.stack(batches), n)
            rows = train_step(runner, optimizer, trials, weights, configs[0].grad_clip, group, interventions)
            now = time.perf_counter() - t_start
            stops, rows_now, due = [False] * n, {}, []
            for i, (r, step) in enumerate(zip(runs, rows)):
                if not r.active:
                    continue
                if not math.isfinite(step["loss"]):
                    where = (f"the last good checkpoint is {r.out} (batch {r.last_saved})"
                             if r.out is not None and r.last_saved else "no checkpoint was written")
                    r.failed = TrainingDiverged(f"loss became {step['loss']} at batch {batch + 1}; "
                                                f"training stopped and {where}")
                    r.policy.requires_grad_(False)  # the others train on
                    continue
                rows_now[i] = {"batch": batch + 1, **step, "distance_cm": 100 * step["loss_distance"],
                               "lr": optimizer.param_groups[i]["lr"], "wall_s": elapsed0[i] + now}
                r.log.append(rows_now[i])
                stops[i] = batch + 1 == r.config.batches or (deadline_s is not None and now > deadline_s)
                if (batch + 1) % r.config.eval_every == 0 or stops[i]:
                    due.append(i)
            if group.leader and due:  # the networks due for a test, tested together
                reached = _evaluate([runs[i] for i in due], [fields_[i] for i in due], [rows_now[i] for i in due])
                for i, hit in zip(due, reached):
                    stops[i] |= hit
                if n == 1:
                    row = rows_now[0]
                    bar.set_postfix(loss=f"{row['loss']:.4f}", error_cm=f"{row[EVALUATED['endpoint_error_cm']]:.2f}")
            stops = group.agree(stops)
            for i, r in enumerate(runs):
                if not r.active:
                    continue
                if group.leader and r.out is not None and ((batch + 1) % r.config.checkpoint_every == 0 or stops[i]):
                    save(r, i, batch + 1, finished=stops[i])
                if stops[i]:
                    r.stopped = True
                    r.policy.requires_grad_(False)  # it has finished; the others train on
            if not any(r.active for r in runs):
                break
    except KeyboardInterrupt:
        for i, r in enumerate(runs):
            if group.leader and r.out is not None and r.log and r.log[-1]["batch"] > r.last_saved:
                save(r, i, int(r.log[-1]["batch"]))
        raise
    finally:
        bar.close()
    for r in runs:
        r.policy.requires_grad_(True)
    return [r.failed or TrainResult(r.policy, r.env, r.config, r.log, r.out) for r in runs]


def _evaluate(runs: Sequence[_Run], fields_: Sequence[TrialFields], rows: Sequence[dict[str, Any]]) -> list[bool]:
    """Test networks on their test sets (in ``fields_``), all in one closed loop, into their log ``rows``;
    whether each reached its target error. Runs with ``channel_probe`` also log the adaptation index."""
    sims, held = [r.sim for r in runs], [r.held for r in runs]
    records = rollout_together(sims, [r.env.test_trials() for r in runs], fields_, interventions=held)
    for row, record in zip(rows, records):
        row.update(evaluation_columns(record.metrics()))
    probes = {i: r.config.probe() for i, r in enumerate(runs) if r.config.channel_probe}
    probing = [i for i, probe in probes.items()
               if isinstance(probe, (ForceField, ViscousField)) and probe.matrix().any()]
    if probing:
        channels = rollout_together([sims[i] for i in probing], [runs[i].env.test_trials() for i in probing],
                                    [ForceChannel()] * len(probing), interventions=[held[i] for i in probing])
        for i, channel in zip(probing, channels):
            rows[i][INDEX] = channel.adaptation_index(probes[i])
    return [r.config.target_error_cm is not None and row[EVALUATED["endpoint_error_cm"]] < r.config.target_error_cm
            for r, row in zip(runs, rows)]


def _spec_json(intervention: Intervention | dict[str, Any] | str) -> str:
    """An intervention as the canonical JSON a configuration holds (and the cache key hashes)."""
    if isinstance(intervention, Intervention):
        intervention = intervention.spec()
    if isinstance(intervention, str):
        intervention = json.loads(intervention)
    return json.dumps(from_spec(intervention).spec(), sort_keys=True)
