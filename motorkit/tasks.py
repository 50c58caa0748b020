"""Tasks: reaching on a motornet ``Environment``, from anywhere in a region of the workspace.

A trial (:class:`Trials`) starts at rest at a posture, shows a target, and later gives a go cue.
Training draws the start postures uniformly over the effector's ``START_REGION``
(:mod:`motorkit.bodies`: shoulder 30-90 deg and elbow 60-120 deg for the arm, an 80 cm square for the
point mass), targets in every direction at distances uniform over a disc of ``TRAIN_REACH_FACTOR``
times the test reach (reachable ones only), and a fraction ``hold_fraction`` of hold trials whose
target is the start. The go cue comes after a random ``delay`` (none by default); the network sees it
through vision, ``vision_delay`` later. In a fraction ``no_go_fraction`` of the trials it never comes
(no-go trials: hold the start to the end). Adaptation
experiments narrow this: ``starts="fixed"`` starts every trial at one posture (``start``, default the
test posture) and ``directions`` puts every target exactly ``reach`` away in one of a few
directions. The network sees the target from the first step and a go signal (0 before the cue, 1
from it on).

What the loss asks of a trial is its :class:`Schedule`: hold the start until the go cue (``hold_weight``
times as strongly as the rest), then be at the target from ``movement_time`` after it (or at the last
step, if the episode ends sooner). In
between, nothing is asked of the position: how the hand gets there is left to the other costs
(:mod:`motorkit.loss`), as in optimal-control models of reaching (Flash & Hogan 1985; Todorov &
Jordan 2002). ``movement_time=0`` and ``starts="fixed"`` give the poster's task: one start posture,
the distance counted from the first step.

The closed loop's noise (:meth:`motorkit.closed_loop.Simulator.draw_noise`) is set here too: on the
commands (``action_noise`` added, ``command_noise`` per unit of command), on proprioception and vision,
and on the network's hidden state; so are the pushes of training, force pulses at the hand
(``push_fraction``, ``push_force``, ``push_duration``).

The test sets (book/conventions.md): 8 targets 45 deg apart, counter-clockwise from +x, at distance
``reach`` from the test posture, or from any other start (:meth:`CentreOutReach.test_trials`);
:data:`GENERALIZATION_STARTS` holds the start postures of the generalization test.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple, Sequence

import motornet as mn
import numpy as np
import torch

from motorkit.bodies import (EFFECTORS, POSTURE_UNIT, START_REGION, TEST_START, joint_to_posture, make_effector,
                             posture_to_joint, reachable)

#: Reach distance (m) of the test set per effector. Arm: 10 cm (book/conventions.md). Point mass: 40 cm,
#: a fifth of its 2 m wide workspace, so reaches stay far from the walls at +-1 m.
DEFAULT_REACH: dict[str, float] = {"arm26": 0.10, "pointmass": 0.40}

#: Training targets lie up to this multiple of the test reach from the start.
TRAIN_REACH_FACTOR: float = 1.2

#: Where training trials start: over the effector's whole START_REGION, or at the test posture only.
STARTS: tuple[str, ...] = ("workspace", "fixed")

#: Start postures of the generalization test set, in the units of ``--start-deg`` / ``--start-xy``:
#: (shoulder, elbow) deg for the arm, spread over its START_REGION and reaching 10 cm in all 8
#: directions; (x, y) m for the point mass, the corners and centre of its region's inner half.
GENERALIZATION_STARTS: dict[str, tuple[tuple[float, float], ...]] = {
    "arm26": ((35.0, 75.0), (35.0, 115.0), (60.0, 90.0), (85.0, 75.0), (85.0, 115.0), (50.0, 105.0),
              (70.0, 65.0)),
    "pointmass": ((-0.2, -0.2), (-0.2, 0.2), (0.0, 0.0), (0.2, -0.2), (0.2, 0.2), (0.1, -0.3)),
}


@dataclass(frozen=True)
class TaskConfig:
    """Everything that defines the reaching task (times in seconds, distances in metres)."""

    effector: str = "arm26"
    dt: float = 0.01
    duration: float = 1.0
    reach: float | None = None
    proprioception_delay: float = 0.02
    vision_delay: float = 0.05
    action_noise: float = 0.0
    proprioception_noise: float = 0.0
    vision_noise: float = 0.0
    command_noise: float = 0.0  # signal-dependent: the command's standard deviation per unit of command
    hidden_noise: float = 0.0  # added to the network's hidden state at every step
    starts: str = "workspace"
    delay: tuple[float, float] = (0.0, 0.0)
    movement_time: float = 0.4
    hold_fraction: float = 0.1
    no_go_fraction: float = 0.0  # trials whose go cue never comes: hold the start to the end
    hold_weight: float = 1.0  # the position cost before the go cue, relative to the cost after it
    push_fraction: float = 0.0  # trials pushed at the hand once, at a random step
    push_force: tuple[float, float] = (0.0, 0.0)  # the push's size (N): uniform between these
    push_duration: tuple[float, float] = (0.05, 0.15)  # how long it lasts (s): uniform between these
    start: tuple[float, float] | None = None  # the test posture (--start-deg / --start-xy units); None: the book's
    directions: tuple[float, ...] = ()  # training reach directions (deg from +x), each at ``reach``; (): any

    def __post_init__(self) -> None:
        for name in ("delay", "push_force", "push_duration"):  # a list read from JSON, too
            object.__setattr__(self, name, tuple(float(d) for d in getattr(self, name)))
        object.__setattr__(self, "directions", tuple(float(d) for d in self.directions))
        if self.start is not None:
            object.__setattr__(self, "start", tuple(float(x) for x in self.start))
            if len(self.start) != 2:
                raise ValueError(f"start must be two numbers, got {list(self.start)}")
        if self.effector not in EFFECTORS:
            raise ValueError(f"unknown effector {self.effector!r}: choose one of {', '.join(EFFECTORS)}")
        if not self.dt > 0 or not self.duration >= self.dt:
            raise ValueError(f"need dt > 0 and duration >= dt, got dt={self.dt}, duration={self.duration}")
        for name in ("proprioception_delay", "vision_delay"):
            steps = getattr(self, name) / self.dt
            if getattr(self, name) < self.dt or abs(steps - round(steps)) > 1e-6:
                raise ValueError(f"{name} must be a positive multiple of dt={self.dt} s (motornet: dt means no lag)")
        if self.reach is not None and not self.reach > 0:
            raise ValueError(f"reach must be > 0 m, got {self.reach}")
        if self.starts not in STARTS:
            raise ValueError(f"unknown starts {self.starts!r}: choose one of {', '.join(STARTS)}")
        if len(self.delay) != 2 or not 0 <= self.delay[0] <= self.delay[1]:
            raise ValueError(f"delay must be (min, max) seconds with 0 <= min <= max, got {self.delay}")
        if self.delay[1] >= self.duration:
            raise ValueError(f"the go cue (delay up to {self.delay[1]} s) must come within the {self.duration} s episode")
        if not self.movement_time >= 0:
            raise ValueError(f"movement time must be >= 0 s, got {self.movement_time}")
        for name in ("hold_fraction", "no_go_fraction", "push_fraction"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name.replace('_', ' ')} must be in [0, 1], got {getattr(self, name)}")
        for name in ("action_noise", "proprioception_noise", "vision_noise", "command_noise", "hidden_noise"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name.replace('_', ' ')} must be >= 0, got {getattr(self, name)}")
        if not self.hold_weight > 0:
            raise ValueError(f"hold weight must be > 0, got {self.hold_weight}")
        for name, lowest in (("push_force", 0.0), ("push_duration", self.dt)):
            span = getattr(self, name)
            if len(span) != 2 or not lowest <= span[0] <= span[1]:
                raise ValueError(f"{name.replace('_', ' ')} must be (min, max) with {lowest:g} <= min <= max, got {span}")
        if not all(math.isfinite(d) for d in self.directions):
            raise ValueError(f"directions must be finite angles in degrees, got {list(self.directions)}")

    @property
    def n_steps(self) -> int:
        """Number of simulation steps in an episode."""
        return int(round(self.duration / self.dt))

    @property
    def reach_m(self) -> float:
        """Reach distance of the test set (m)."""
        return DEFAULT_REACH[self.effector] if self.reach is None else float(self.reach)

    @property
    def cue_lag(self) -> int:
        """Steps from the go cue to the network seeing it: the cue is visual, so vision's delay."""
        return int(round(self.vision_delay / self.dt))

    @property
    def test_go_step(self) -> int:
        """The step of the go cue in test trials: the middle of the delay range."""
        return int(round(sum(self.delay) / 2 / self.dt))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def test_directions(n: int = 8) -> np.ndarray:
    """Target directions (rad) of the centre-out test set: ``n`` angles counter-clockwise from +x."""
    return np.arange(n) * 2 * math.pi / n


class Schedule(NamedTuple):
    """What a batch of trials shows and asks, step by step (first axis time, T steps).

    ``cue`` (T, B, 3): what the network is shown, the target (m) and the go signal; ``goal`` (T, B, 2):
    where the hand should be after the step; ``weight`` (T, B): 1 where the position is asked, else 0.
    """

    cue: torch.Tensor
    goal: torch.Tensor
    weight: torch.Tensor


class Trials(NamedTuple):
    """A batch of trials: start joint state (B, 2 dof) at rest, start hand (B, 2), target (B, 2), go step (B,).

    A go step at or after the episode's last step (``n_steps``) means no cue comes: a no-go trial.
    """

    joint: torch.Tensor
    start: torch.Tensor
    target: torch.Tensor
    go: torch.Tensor

    def take(self, index: torch.Tensor | slice) -> "Trials":
        """The trials ``index`` only."""
        return Trials(*(x[index] for x in self))

    def to(self, device: torch.device | str) -> "Trials":
        return Trials(*(x.to(device) for x in self))

    def schedule(self, n_steps: int, task: TaskConfig) -> Schedule:
        """The step-by-step cue, goal and position weight of these trials in ``task`` (see :class:`Schedule`).

        The network sees the go signal :attr:`TaskConfig.cue_lag` steps after the cue (it is visual:
        vision's delay). Before the cue the position counts ``task.hold_weight`` times as much as at the
        target, from ``task.movement_time`` after the cue. A trial whose go step is at or after the
        episode's end is a no-go trial: it holds the start throughout.
        """
        dt, movement_time, cue_lag, hold_weight = task.dt, task.movement_time, task.cue_lag, task.hold_weight
        step = torch.arange(n_steps, device=self.go.device)[:, None]  # step k ends at time (k + 1) dt
        going = step >= self.go[None]  # (T, B)
        seen = (step >= self.go[None] + cue_lag).float()
        cue = torch.cat([self.target.expand(n_steps, -1, -1), seen[..., None]], dim=-1)
        goal = torch.where(going[..., None], self.target, self.start)
        arrive = (self.go[None] + round(movement_time / dt) - 1).clamp(max=n_steps - 1)  # a short episode: its end
        weight = torch.where(going, (step >= arrive).float(), hold_weight)
        return Schedule(cue, goal, weight)


class CentreOutReach(mn.environment.Environment):
    """Reaching from a start posture to a target shown from the first step, on a go cue.

    Observations: target (2) and go signal (1), then motornet's delayed hand position (2) and delayed
    normalised muscle lengths and velocities (2 x muscles).
    """

    def __init__(self, config: TaskConfig = TaskConfig(), effector: mn.effector.Effector | None = None):
        effector = make_effector(config.effector, config.dt) if effector is None else effector
        super().__init__(
            effector,
            name="CentreOutReach",
            max_ep_duration=config.duration,
            action_noise=config.action_noise,
            proprioception_delay=config.proprioception_delay,
            vision_delay=config.vision_delay,
            proprioception_noise=config.proprioception_noise,
            vision_noise=config.vision_noise,
        )
        self.config = config
        self.start_joint = self.joint_state(self._test_start())
        self.start = self.hand(self.start_joint)

    def _test_start(self) -> tuple[float, float]:
        if self.config.start is not None:
            return self.config.start
        return TEST_START[self.config.effector]

    def joint_state(self, start: Sequence[float] | torch.Tensor) -> torch.Tensor:
        """Joint states at rest (B, 2 dof) for starts (B, 2) or (2,) in ``--start-deg`` / ``--start-xy`` units.

        The arm's starts are (shoulder, elbow) in degrees, the point mass's (x, y) in metres. Raises
        ``ValueError`` for a start outside the joint limits.
        """
        name = self.config.effector
        pos = posture_to_joint(name, torch.as_tensor(np.asarray(start, dtype=np.float32)))
        lo, hi = self.effector.pos_lower_bound, self.effector.pos_upper_bound
        if not bool(((pos >= lo) & (pos <= hi)).all()):
            raise ValueError(f"start {np.round(np.asarray(start, dtype=float), 4).tolist()} is outside the "
                             f"{name}'s joint limits ({joint_to_posture(name, lo).tolist()} to "
                             f"{joint_to_posture(name, hi).tolist()} {POSTURE_UNIT[name]})")
        return torch.cat([pos, torch.zeros_like(pos)], dim=-1)

    def hand(self, joint: torch.Tensor) -> torch.Tensor:
        """Hand positions (B, 2) of joint states (B, 2 dof): motornet's forward kinematics."""
        return self.effector.joint2cartesian(joint)[:, :2]

    @property
    def n_inputs(self) -> int:
        """Size of the observation vector: motornet's, plus the go signal."""
        return int(self.observation_space.shape[0]) + 1

    def reachable(self, targets: torch.Tensor) -> torch.Tensor:
        """Whether each target (B, 2) can be reached inside the joint limits (with a margin) (B,) bool."""
        return reachable(self.effector, self.config.effector, targets)

    def test_trials(self, start: Sequence[float] | None = None, reach: float | None = None,
                    n: int = 8, go: int | None = None) -> Trials:
        """The centre-out test set: ``n`` targets ``reach`` m (default: the task's) from ``start``.

        ``start`` is in ``--start-deg`` / ``--start-xy`` units (default: the test posture). The go cue
        comes at step ``go`` (default :attr:`TaskConfig.test_go_step`; ``n_steps`` or later: no cue, a
        no-go trial). Raises ``ValueError`` if a target is out of reach.
        """
        joint = self.start_joint if start is None else self.joint_state(start)
        hand = self.hand(joint)
        reach = self.config.reach_m if reach is None else float(reach)
        if not reach > 0:
            raise ValueError(f"reach must be > 0 m, got {reach}")
        ang = torch.tensor(test_directions(n), dtype=torch.float32)
        targets = hand + reach * torch.stack([torch.cos(ang), torch.sin(ang)], dim=-1)
        if not bool(self.reachable(targets).all()):
            raise ValueError(f"a {100 * reach:g} cm reach from start {list(start or self._test_start())} "
                             f"leaves the {self.config.effector}'s reachable workspace; choose a shorter reach")
        go = self.config.test_go_step if go is None else go
        if go < 0:
            raise ValueError(f"the go cue must come at step 0 or later, got {go}")
        go = torch.full((n,), min(go, self.config.n_steps), dtype=torch.long)
        return Trials(joint.expand(n, -1).clone(), hand.expand(n, -1).clone(), targets, go)

    def test_targets(self, n: int = 8) -> torch.Tensor:
        """The centre-out test targets (n, 2) in metres: ``reach`` from the test posture, 360/n deg apart."""
        return self.test_trials(n=n).target

    def trials_to(self, targets: torch.Tensor) -> Trials:
        """Trials from the test posture to ``targets`` (B, 2), go cue as in the test set."""
        targets = torch.as_tensor(targets, dtype=torch.float32)
        n = targets.shape[0]
        go = torch.full((n,), self.config.test_go_step, dtype=torch.long)
        return Trials(self.start_joint.expand(n, -1).clone(), self.start.expand(n, -1).clone(), targets, go)

    def sample_trials(self, batch_size: int, generator: torch.Generator | None = None) -> Trials:
        """Random training trials: starts over the region (or the test posture), reachable targets, hold
        trials, go cues.

        With ``directions``, each target is ``reach`` from its start in one of them (an unreachable one holds).
        """
        cfg = self.config
        if cfg.starts == "fixed":
            joint = self.start_joint.expand(batch_size, -1).clone()
        else:
            (a0, a1), (b0, b1) = START_REGION[cfg.effector]
            u = torch.rand(batch_size, 2, generator=generator)
            joint = self.joint_state(torch.stack([a0 + (a1 - a0) * u[:, 0], b0 + (b1 - b0) * u[:, 1]], dim=-1))
        start = self.hand(joint)
        target = start.clone()
        todo = torch.rand(batch_size, generator=generator) >= cfg.hold_fraction  # the others hold
        radius = TRAIN_REACH_FACTOR * cfg.reach_m
        directions = torch.deg2rad(torch.tensor(cfg.directions, dtype=torch.float32))
        for _ in range(20):  # redraw unreachable targets; a trial still unreachable after that holds
            if len(directions):
                ang = directions[torch.randint(len(directions), (batch_size,), generator=generator)]
                dist = torch.full((batch_size,), cfg.reach_m)
            else:
                ang = 2 * math.pi * torch.rand(batch_size, generator=generator)
                dist = radius * torch.sqrt(torch.rand(batch_size, generator=generator))
            draw = start + dist[:, None] * torch.stack([torch.cos(ang), torch.sin(ang)], dim=-1)
            ok = todo & self.reachable(draw)
            target[ok] = draw[ok]
            todo &= ~ok
            if not bool(todo.any()):
                break
        lo, hi = (round(d / cfg.dt) for d in cfg.delay)
        go = torch.randint(lo, hi + 1, (batch_size,), generator=generator)
        if cfg.no_go_fraction > 0:  # no cue comes: the go step is the episode's end
            go[torch.rand(batch_size, generator=generator) < cfg.no_go_fraction] = cfg.n_steps
        return Trials(joint, start, target, go)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Start every trial at rest; ``options["trials"]`` (:class:`Trials`) sets starts and targets.

        Without trials, the test set is used (its size sets the batch).
        """
        self._set_generator(seed=seed)
        options = {} if options is None else options
        trials: Trials | None = options.get("trials")
        trials = self.test_trials() if trials is None else trials
        batch_size = trials.target.shape[0]
        deterministic: bool = options.get("deterministic", False)

        self.effector.reset(options={"batch_size": batch_size, "joint_state": trials.joint.to(self.device)})
        self.goal = trials.target.to(self.device)
        self.elapsed = 0.0
        action = torch.zeros((batch_size, self.action_space.shape[0]), device=self.device)
        self.obs_buffer["proprioception"] = [self.get_proprioception()] * len(self.obs_buffer["proprioception"])
        self.obs_buffer["vision"] = [self.get_vision()] * len(self.obs_buffer["vision"])
        self.obs_buffer["action"] = [action] * self.action_frame_stacking
        obs = self.get_obs(deterministic=deterministic)
        info = {"states": self.states, "action": action, "noisy action": action, "goal": self.goal}
        return obs, info

