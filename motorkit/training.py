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
from motorkit.loss import Batch, LossWeights, episode_loss
from motorkit.policy import GRUPolicy, Intervention, from_spec
from motorkit.rollouts import Rollout, rollout
from motorkit.tasks import CentreOutReach, TaskConfig
from motorkit.traininglog import INDEX, TrainingLog, evaluation_columns

__all__ = ["TrainConfig", "TrainResult", "build", "draw_batch", "train_step", "train", "load_policy",
           "MotorkitError", "TrainingDiverged", "CheckpointError"]


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
    interventions: tuple[str, ...] = ()  # hidden-state interventions the network learns (and is tested) under,
    # each as the JSON of its spec (motorkit.policy.Intervention.spec; dicts and Intervention objects are accepted)
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
        for intervention in self.hidden_interventions():  # validates them
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

    def hidden_interventions(self) -> list[Intervention]:
        """The hidden-state interventions the network learns and is tested under (``interventions``)."""
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
                 reach: float | None = None, **kwargs: Any) -> Rollout:
        """Roll the policy out on the 8-target test set (default: the training field), from any ``start``.

        ``start`` is (shoulder, elbow) deg for the arm, (x, y) m for the point mass (default: the test
        posture); ``reach`` the distance of the targets in metres (default: the task's).
        """
        field = self.config.force_field() if field is None else field
        # an intervention the network learned under is part of it
        interventions = [*self.config.hidden_interventions(), *kwargs.pop("interventions", ())]
        return rollout(self.simulator, self.env.test_trials(start, reach), field, catch=catch,
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
               interventions: Sequence[Intervention] = ()) -> dict[str, float]:
    """One gradient step: run the episode, weigh the loss terms,
    backpropagate through the body, update the weights."""
    # each term: a mean over trials and steps
    terms = episode_loss(runner, batch, interventions)
    loss = weights.total(terms)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # through network, muscles and skeleton, to step 1
    policy = runner.sim.policy
    # the whole batch's gradient and loss, if it was shared out
    total = group.average(policy.parameters(), [loss, *terms.values()])
    if not torch.isfinite(total[0]):
        raise TrainingDiverged(f"loss became {total[0].item()}")
    torch.nn.utils.clip_grad_norm_(policy.parameters(), grad_clip)
    optimizer.step()
    logged = dict(zip((f"loss_{name}" for name in terms), total[1:].tolist()))
    return {"loss": total[0].item(), **logged}


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
    workers = parallel.workers_for(config.batch_size, config.workers, config.device)
    if workers == 1:
        return _train(config, out, progress, deadline_s)
    with parallel.group(workers, _train, (config, out, False, deadline_s)) as group:
        return _train(config, out, progress, deadline_s, group=group)


def _train(config: TrainConfig, out: str | Path | None, progress: bool, deadline_s: float | None,
           group: parallel.Group = parallel.SINGLE) -> TrainResult:
    """The training loop of one process of ``group`` (its leader logs, evaluates and checkpoints)."""
    out = None if out is None else Path(out)
    env, policy = build(config)
    if config.init is not None:
        init = load_policy(config.init, config.device)
        if init.config.effector != config.effector or init.config.hidden != config.hidden:
            raise CheckpointError(f"cannot fine-tune from {config.init}: it is a {init.config.effector} policy "
                                  f"with {init.config.hidden} hidden units")
        policy.load_state_dict(init.policy.state_dict())
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(config.seed + 1)
    log = TrainingLog()
    first = 0
    resumed = _resume_state(out, config)
    if resumed is not None:
        policy.load_state_dict(resumed["policy"])
        optimizer.load_state_dict(resumed["optimizer"])
        generator.set_state(resumed["generator"])
        log, first = TrainingLog(resumed["log"]), int(resumed["batch"])
    sim = Simulator(env, policy)
    runner = EpisodeRunner(sim, config.unroll, config.compile)
    field, probe, weights = config.force_field(), config.probe(), config.loss_weights()
    held = config.hidden_interventions()

    def save(batch: int, finished: bool = False) -> None:
        save_checkpoint(out, policy, optimizer, generator, config.to_dict(), batch, log.rows, finished)

    elapsed0 = log[-1]["wall_s"] if log else 0.0
    t_start = time.perf_counter()
    last_saved = first
    bar = tqdm(range(first, config.batches), desc=f"train {config.effector}/{config.field}",
               disable=not (progress and group.leader), initial=first, total=config.batches, unit="batch")
    try:
        for batch in bar:
            lr = config.learning_rate(batch)
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr
            trials = group.take(draw_batch(env, sim, field, config.batch_size, generator))
            try:
                step = train_step(runner, optimizer, trials, weights, config.grad_clip, group, held)
            except TrainingDiverged as exc:
                where = (f"the last good checkpoint is {out} (batch {last_saved})" if out is not None and last_saved
                         else "no checkpoint was written")
                raise TrainingDiverged(f"{exc} at batch {batch + 1}; training stopped and {where}") from None
            row = {"batch": batch + 1, **step, "distance_cm": 100 * step["loss_distance"], "lr": lr,
                   "wall_s": elapsed0 + time.perf_counter() - t_start}
            log.append(row)
            done = batch + 1 == config.batches or (deadline_s is not None and time.perf_counter() - t_start > deadline_s)
            if group.leader and ((batch + 1) % config.eval_every == 0 or done):
                metrics = rollout(sim, env.test_trials(), field, interventions=held).metrics()
                row.update(evaluation_columns(metrics))
                if config.channel_probe and isinstance(probe, (ForceField, ViscousField)) and probe.matrix().any():
                    channel = rollout(sim, env.test_trials(), ForceChannel(), interventions=held)
                    row[INDEX] = channel.adaptation_index(probe)
                if config.target_error_cm is not None and metrics["endpoint_error_cm"] < config.target_error_cm:
                    done = True
                bar.set_postfix(loss=f"{row['loss']:.4f}", error_cm=f"{metrics['endpoint_error_cm']:.2f}")
            done = group.agree(done)
            if group.leader and out is not None and ((batch + 1) % config.checkpoint_every == 0 or done):
                save(batch + 1, finished=done)
                last_saved = batch + 1
            if done:
                break
    except KeyboardInterrupt:
        if group.leader and out is not None and log and log[-1]["batch"] > last_saved:
            save(int(log[-1]["batch"]))
        raise
    finally:
        bar.close()
    return TrainResult(policy, env, config, log, out)


def _spec_json(intervention: Intervention | dict[str, Any] | str) -> str:
    """An intervention as the canonical JSON a configuration holds (and the cache key hashes)."""
    if isinstance(intervention, Intervention):
        intervention = intervention.spec()
    if isinstance(intervention, str):
        intervention = json.loads(intervention)
    return json.dumps(from_spec(intervention).spec(), sort_keys=True)
