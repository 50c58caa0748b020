"""The closed loop: policy and effector advanced together, one pure step at a time.

One function, :meth:`Simulator.step`, advances policy and effector by one time step using motornet's
own effector methods (``ode``, ``integration_step``, ``joint2cartesian``), so the physics is motornet's.
What makes it fast is that it is pure (states in, states out, no Python-side buffers or numpy noise):
``torch.compile`` fuses the hundreds of tiny ops of a step into a few kernels, forward and backward.
Noise is drawn up front from a seeded ``torch.Generator``.

One driver, :class:`EpisodeRunner`, runs whole episodes for training (compiled, ``unroll`` steps per
call, gradients through everything) and for tests (eager, every state recorded), with the same
perturbations in both: each trial's external force law (:class:`motorkit.fields.HandLoad`: force
fields, channels) and any intervention (:class:`motorkit.policy.Intervention`), applied at the steps
of its window to the signal its ``site`` names: the hidden state (pulses, clamps, ablations,
transplants), the target shown, what the eye and the muscle sensors send, and the force at the hand
(:mod:`motorkit.perturbations`: bumps, target and cursor jumps, rotations, silenced senses).
"""

from __future__ import annotations

import math
import warnings
from typing import Callable, NamedTuple, Optional, Sequence

import torch

from motorkit.fields import HandLoad
from motorkit.ensemble import StackedPolicy
from motorkit.policy import SITES, GRUPolicy, Intervention
from motorkit.tasks import CentreOutReach, Schedule, TaskConfig, Trials

#: Inductor's options for the episode: a C++ wrapper calls the kernels (measured: 10% faster per batch at
#: batch 64 than the Python wrapper, and the cold compile stays under 30 s; benchmarks/README.md).
COMPILE_OPTIONS: dict[str, object] = {"cpp_wrapper": True}

_ANNOUNCED_FALLBACK = False


class State(NamedTuple):
    """The closed loop's state: policy hidden state, effector states and the feedback delay lines."""

    hidden: torch.Tensor  # (B, H)
    joint: torch.Tensor  # (B, 2 * dof)
    muscle: torch.Tensor  # (B, muscle states, M)
    geometry: torch.Tensor  # (B, geometry states, M)
    vision: torch.Tensor  # (B, vision delay steps, 2): oldest first
    proprioception: torch.Tensor  # (B, proprioception delay steps, 2M)


class Noise(NamedTuple):
    """Noise and pushes for a stretch of steps, drawn up front, each first axis time.

    ``action`` (T, B, M) is added to the commands, ``command`` (T, B, M) scales them (signal-dependent
    noise: the action is ``command * (1 + noise.command) + noise.action``), ``proprioception`` (T, B, 2M)
    and ``vision`` (T, B, 2) are added to the feedback, ``hidden`` (T, B, H) to the network's state, and
    ``push`` (T, B, 2) is an external force at the hand (N), zero outside each trial's push.
    """

    action: torch.Tensor
    proprioception: torch.Tensor
    vision: torch.Tensor
    command: torch.Tensor
    hidden: torch.Tensor
    push: torch.Tensor


class StepOutput(NamedTuple):
    """What one step did; stacked over an episode (time first) it is the episode's :class:`Trace`."""

    command: torch.Tensor  # (B, M) policy output
    action: torch.Tensor  # (B, M) command applied to the muscles: noise added, clipped as motornet clips
    load: torch.Tensor  # (B, 2) endpoint force applied during the step (N)
    hand: torch.Tensor  # (B, 4) hand position and velocity after the step
    hidden: torch.Tensor  # (B, H) the policy's hidden state after the step
    joint: torch.Tensor  # (B, 2 * dof) joint state after the step
    muscle: torch.Tensor  # (B, muscle states, M) muscle state after the step


#: Every step's outputs of an episode, each (T, B, ...). In training only what the loss reads is kept
#: (:data:`LOSS_OUTPUTS`); the others are None.
Trace = StepOutput
#: What the loss reads of an episode: only these leave the compiled chunks in training.
LOSS_OUTPUTS: tuple[str, ...] = ("command", "hand", "hidden")


Hook = Callable[[torch.Tensor], torch.Tensor]


class Hooks(NamedTuple):
    """One step's interventions, a function per site (:data:`motorkit.policy.SITES`; None: untouched):
    ``hidden`` (B, H) after the GRU update, ``target`` the target shown (B, 2), ``vision`` the hand
    position reaching the eye (B, 2) and ``proprioception`` the muscle signals (B, 2M) as they enter
    their delay lines, ``hand`` the external force at the hand (B, 2; N)."""

    hidden: Optional[Hook] = None
    target: Optional[Hook] = None
    vision: Optional[Hook] = None
    proprioception: Optional[Hook] = None
    hand: Optional[Hook] = None


def step_hooks(interventions: Sequence[Intervention], inputs: Sequence[Sequence[torch.Tensor]], k: int) -> Hooks:
    """The :class:`Hooks` of step ``k`` of a chunk: each site's interventions applied in order, with
    ``inputs[i]`` intervention ``i``'s window and per-step data for the chunk's steps."""
    hooks: dict[str, Hook] = {}
    for site in SITES:
        own = [(iv, data) for iv, data in zip(interventions, inputs) if iv.site == site]
        if own:
            def hook(x: torch.Tensor, own: list = own) -> torch.Tensor:
                for intervention, data in own:
                    x = intervention.apply(x, *(d[k] for d in data))
                return x
            hooks[site] = hook
    return Hooks(**hooks)


def moved_goal(schedule: Schedule, trials: Trials, interventions: Sequence[Intervention],
               series: Sequence[Sequence[torch.Tensor]]) -> Schedule:
    """The schedule whose goal, once the go cue has come, moves with the target the network is shown:
    a target-site intervention (a target jump) moves what the loss asks for as it moves what is seen."""
    moving = [(iv, window, data) for iv, (window, *data) in zip(interventions, series) if iv.site == "target"]
    if not moving:
        return schedule
    goal = schedule.goal
    going = (torch.arange(len(goal), device=goal.device)[:, None] >= trials.go[None])[..., None]
    for iv, window, data in moving:
        steps = [iv.apply(goal[t], window[t], *(d[t] for d in data)) for t in range(len(goal))]
        goal = torch.where(going, torch.stack(steps), goal)
    return schedule._replace(goal=goal)


def announce_eager_fallback(reason: BaseException | str) -> None:
    """Warn, once per process, that compiling failed and the eager path is used instead."""
    global _ANNOUNCED_FALLBACK
    if not _ANNOUNCED_FALLBACK:
        _ANNOUNCED_FALLBACK = True
        warnings.warn(f"torch.compile is unavailable here ({reason}); motorkit runs the eager step instead.",
                      RuntimeWarning, stacklevel=3)


def draw_pushes(cfg: TaskConfig, n_steps: int, batch: int, generator: torch.Generator | None) -> torch.Tensor:
    """The pushes of a batch (T, B, 2), in N: a ``push_fraction`` of the trials is pushed once, in a
    uniformly random direction, with a force and for a time uniform over ``push_force`` and
    ``push_duration``, starting at a uniformly random step of the episode (it may run past its end)."""
    push = torch.zeros(n_steps, batch, 2)
    if cfg.push_fraction == 0.0:
        return push
    u = torch.rand(5, batch, generator=generator)
    pushed = u[0] < cfg.push_fraction
    angle = 2 * math.pi * u[1]
    size = cfg.push_force[0] + (cfg.push_force[1] - cfg.push_force[0]) * u[2]
    steps = torch.round((cfg.push_duration[0] + (cfg.push_duration[1] - cfg.push_duration[0]) * u[3]) / cfg.dt)
    onset = torch.floor(u[4] * n_steps)
    step = torch.arange(n_steps)[:, None]
    on = pushed & (step >= onset) & (step < onset + steps)  # (T, B)
    force = size[:, None] * torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1)  # (B, 2)
    return on[..., None] * force


class Simulator:
    """Closed-loop simulation of a policy in a task; ``step`` is the single source of the dynamics."""

    def __init__(self, env: CentreOutReach, policy: GRUPolicy | StackedPolicy):
        self.env = env
        self.policy = policy
        self.effector = env.effector
        muscle = self.effector.muscle
        self._l0_ce = muscle.l0_ce[:, 0]
        self._vmax = muscle.vmax[:, 0]

    @property
    def device(self) -> torch.device:
        return next(self.policy.parameters()).device

    def proprioception(self, muscle_state: torch.Tensor) -> torch.Tensor:
        """Noise-free proprioception as motornet defines it: muscle length / l0_ce, velocity / vmax."""
        return torch.cat([muscle_state[:, 1] / self._l0_ce, muscle_state[:, 2] / self._vmax], dim=-1)

    def start(self, trials: Trials) -> State:
        """Reset the effector at the trials' start postures (motornet's reset) and fill the delay lines."""
        self.env.reset(options={"trials": trials, "deterministic": True})
        s = self.effector.states
        batch = trials.target.shape[0]
        vision = s["fingertip"][:, None].expand(batch, self.env.vision_delay, 2).contiguous()
        prop = self.proprioception(s["muscle"])
        prop = prop[:, None].expand(batch, self.env.proprioception_delay, prop.shape[-1]).contiguous()
        return State(self.policy.initial_hidden(batch), s["joint"], s["muscle"], s["geometry"], vision, prop)

    def draw_noise(self, n_steps: int, batch: int, generator: torch.Generator | None,
                   pushes: bool = True) -> Noise:
        """Gaussian noise for ``n_steps`` steps with the task's standard deviations, and its pushes
        (none with ``pushes=False``: tests push on purpose, not at random).

        What a task leaves at zero draws nothing from ``generator``, so adding a kind of noise to a
        recipe leaves the others' draws as they were.
        """
        cfg, m = self.env.config, self.effector.n_muscles
        hidden = self.policy.initial_hidden(1).shape[-1]

        def draw(std: float, width: int) -> torch.Tensor:
            if std == 0.0:
                return torch.zeros(n_steps, batch, width, device=self.device)
            return (std * torch.randn(n_steps, batch, width, generator=generator)).to(self.device)

        return Noise(draw(cfg.action_noise, m), draw(cfg.proprioception_noise, 2 * m), draw(cfg.vision_noise, 2),
                     draw(cfg.command_noise, m), draw(cfg.hidden_noise, hidden),
                     draw_pushes(cfg if pushes else TaskConfig(), n_steps, batch, generator).to(self.device))

    def step(
        self,
        state: State,
        cue: torch.Tensor,
        load: HandLoad,
        noise: Noise,
        hooks: Hooks = Hooks(),
    ) -> tuple[State, StepOutput]:
        """Advance one time step: observe, act, apply the external force, integrate the effector (motornet's Euler).

        ``cue`` (B, 3) is what the task shows this step: the target and the go signal
        (:class:`motorkit.tasks.Schedule`);
        ``load`` each trial's external force law (:class:`motorkit.fields.HandLoad`), applied at the hand
        state the step starts from; ``hooks`` this step's interventions, site by site.
        """
        eff = self.effector
        if hooks.target is not None:
            cue = torch.cat([hooks.target(cue[:, :2]), cue[:, 2:]], dim=-1)
        obs = torch.cat([cue, state.vision[:, 0], state.proprioception[:, 0]], dim=-1)
        command, hidden = self.policy(obs, state.hidden, hooks.hidden)
        hidden = hidden + noise.hidden
        force = load.force(eff.joint2cartesian(state.joint)) + noise.push
        if hooks.hand is not None:
            force = hooks.hand(force)
        action = eff.muscle.clip_activation(command * (1 + noise.command) + noise.action)
        states = {"joint": state.joint, "muscle": state.muscle, "geometry": state.geometry}
        for _ in range(eff.n_ministeps):
            derivative = eff.ode(action, states, force, eff.default_joint_load)
            states = eff.integration_step(eff.minidt, derivative, states)
        hand = eff.joint2cartesian(states["joint"])
        seen = hand[:, :2] + noise.vision
        if hooks.vision is not None:
            seen = hooks.vision(seen)
        vision = torch.cat([state.vision[:, 1:], seen[:, None]], dim=1)
        prop = self.proprioception(states["muscle"]) + noise.proprioception
        if hooks.proprioception is not None:
            prop = hooks.proprioception(prop)
        prop = torch.cat([state.proprioception[:, 1:], prop[:, None]], dim=1)
        new = State(hidden, states["joint"], states["muscle"], states["geometry"], vision, prop)
        return new, StepOutput(command, action, force, hand, hidden, states["joint"], states["muscle"])


class EpisodeRunner:
    """Runs whole episodes of the closed loop: ``unroll`` steps per (compiled) call.

    The one driver of training and tests. :meth:`run` takes the trials, each trial's force law and the
    noise, and the hidden-state interventions, and returns every step's outputs. With ``compile`` the
    chunk of ``unroll`` steps is compiled once (one graph for every chunk of an episode: the step
    number never enters it, only the interventions' per-step windows and data do).
    """

    def __init__(self, sim: Simulator, unroll: int = 2, compile: bool = True):
        if unroll < 1:
            raise ValueError(f"unroll must be a positive count, got {unroll}")
        self.sim, self.unroll = sim, unroll
        self.fn: Callable[..., tuple[State, Trace]] = self.chunk
        if compile:
            self.fn = torch.compile(self.chunk, dynamic=False, options=COMPILE_OPTIONS)
        self.compiled = compile

    def chunk(self, state: State, cue: torch.Tensor, load: HandLoad, noise: Noise,
              interventions: tuple[Intervention, ...], inputs: tuple[tuple[torch.Tensor, ...], ...],
              keep: tuple[str, ...]) -> tuple[State, Trace]:
        """``unroll`` steps: the new state and each step's outputs named in ``keep`` (stacked, time first).

        ``inputs[i]`` holds intervention ``i``'s window and per-step data for these steps.
        """
        outs = []
        for k in range(cue.shape[0]):
            hooks = step_hooks(interventions, inputs, k)
            state, out = self.sim.step(state, cue[k], load, Noise(*(n[k] for n in noise)), hooks)
            outs.append(out)
        return state, Trace(*(torch.stack(x) if name in keep else None
                              for name, x in zip(Trace._fields, zip(*outs))))

    def run(self, trials: Trials, load: HandLoad, noise: Noise, interventions: Sequence[Intervention] = (),
            record: bool = False) -> tuple[Trace, Schedule, State]:
        """The whole episode: every step's outputs (T, B, ...; all of them with ``record``, else those the
        loss reads), the trials' schedule and the state the episode started from."""
        cfg = self.sim.env.config
        n_steps = noise.action.shape[0]
        schedule = trials.schedule(n_steps, cfg)
        state = self.sim.start(trials)
        first = state
        if torch.is_grad_enabled():  # every chunk then sees inputs that require grad: one compiled graph, not two
            state = State(*(s.detach().requires_grad_() for s in state))
        interventions = tuple(interventions)
        for iv in interventions:
            if iv.site not in SITES:
                raise ValueError(f"{type(iv).__name__} acts at {iv.site!r}: the closed loop's sites are {', '.join(SITES)}")
        device = state.hidden.device
        series = [(iv.window(n_steps).to(device), *(x.to(device) for x in iv.series(n_steps)))
                  for iv in interventions]
        schedule = moved_goal(schedule, trials, interventions, series)
        keep = Trace._fields if record else LOSS_OUTPUTS
        outs = []
        for t0 in range(0, n_steps, self.unroll):
            part = slice(t0, t0 + self.unroll)
            args = (state, schedule.cue[part], load, Noise(*(n[part] for n in noise)), interventions,
                    tuple(tuple(x[part] for x in data) for data in series), keep)
            try:
                state, out = self.fn(*args)
            except Exception as exc:  # compiler missing or failing: announce once, go eager
                if not self.compiled:
                    raise
                announce_eager_fallback(exc)
                self.fn, self.compiled = self.chunk, False
                state, out = self.fn(*args)
            outs.append(out)
        trace = Trace(*(torch.cat(x) if x[0] is not None else None for x in zip(*outs)))
        return trace, schedule, first
