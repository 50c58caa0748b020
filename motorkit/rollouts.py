"""Rollouts: the closed loop of policy and effector, its fast compiled step, and the rollout record.

One function, :meth:`Simulator.step`, advances policy and effector by one time step using motornet's
own effector methods (``ode``, ``integration_step``, ``joint2cartesian``), so the physics is motornet's.
What makes it fast is that it is pure (states in, states out, no Python-side buffers or numpy noise):
``torch.compile`` fuses the hundreds of tiny ops of a step into a few kernels, forward and backward.
Noise is drawn up front from a seeded ``torch.Generator``.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
import torch

from motorkit.fields import ForceField, endpoint_force
from motorkit.io import atomic_write, write_json
from motorkit.policy import GRUPolicy, HiddenHook, compose
from motorkit.tasks import CentreOutReach

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
    """Noise for a stretch of steps, first axis time: action (T, B, M), proprio (T, B, 2M), vision (T, B, 2)."""

    action: torch.Tensor
    proprioception: torch.Tensor
    vision: torch.Tensor


class StepOutput(NamedTuple):
    command: torch.Tensor  # (B, M) policy output
    action: torch.Tensor  # (B, M) command applied to the muscles: noise added, clipped as motornet clips
    load: torch.Tensor  # (B, 2) endpoint force applied during the step (N)
    cartesian: torch.Tensor  # (B, 4) hand position and velocity after the step


def announce_eager_fallback(reason: BaseException | str) -> None:
    """Warn, once per process, that compiling failed and the eager path is used instead."""
    global _ANNOUNCED_FALLBACK
    if not _ANNOUNCED_FALLBACK:
        _ANNOUNCED_FALLBACK = True
        warnings.warn(f"torch.compile is unavailable here ({reason}); motorkit runs the eager step instead.",
                      RuntimeWarning, stacklevel=3)


class Simulator:
    """Closed-loop simulation of a policy in a task; ``step`` is the single source of the dynamics."""

    def __init__(self, env: CentreOutReach, policy: GRUPolicy):
        self.env = env
        self.policy = policy
        self.effector = env.effector
        muscle = self.effector.muscle
        self._l0_ce = muscle.l0_ce[:, 0]
        self._vmax = muscle.vmax[:, 0]

    @property
    def device(self) -> torch.device:
        return self.policy.readout.weight.device

    def proprioception(self, muscle_state: torch.Tensor) -> torch.Tensor:
        """Noise-free proprioception as motornet defines it: muscle length / l0_ce, velocity / vmax."""
        return torch.cat([muscle_state[:, 1] / self._l0_ce, muscle_state[:, 2] / self._vmax], dim=-1)

    def start(self, targets: torch.Tensor) -> State:
        """Reset the effector at the task's start posture (motornet's reset) and fill the delay lines."""
        self.env.reset(options={"targets": targets, "deterministic": True})
        s = self.effector.states
        batch = targets.shape[0]
        vision = s["fingertip"][:, None].expand(batch, self.env.vision_delay, 2).contiguous()
        prop = self.proprioception(s["muscle"])
        prop = prop[:, None].expand(batch, self.env.proprioception_delay, prop.shape[-1]).contiguous()
        return State(self.policy.initial_hidden(batch), s["joint"], s["muscle"], s["geometry"], vision, prop)

    def draw_noise(self, n_steps: int, batch: int, generator: torch.Generator | None) -> Noise:
        """Gaussian noise for ``n_steps`` steps with the task's standard deviations."""
        cfg, m = self.env.config, self.effector.n_muscles

        def draw(std: float, width: int) -> torch.Tensor:
            if std == 0.0:
                return torch.zeros(n_steps, batch, width, device=self.device)
            return (std * torch.randn(n_steps, batch, width, generator=generator)).to(self.device)

        return Noise(draw(cfg.action_noise, m), draw(cfg.proprioception_noise, 2 * m), draw(cfg.vision_noise, 2))

    def step(
        self,
        state: State,
        target: torch.Tensor,
        field_matrices: torch.Tensor,
        noise: Noise,
        hook: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> tuple[State, StepOutput]:
        """Advance one time step: observe, act, apply the field, integrate the effector (motornet's Euler)."""
        eff = self.effector
        obs = torch.cat([target, state.vision[:, 0], state.proprioception[:, 0]], dim=-1)
        command, hidden = self.policy(obs, state.hidden, hook)
        velocity = eff.joint2cartesian(state.joint)[:, 2:]
        load = endpoint_force(field_matrices, velocity)
        action = eff.muscle.clip_activation(command + noise.action)
        states = {"joint": state.joint, "muscle": state.muscle, "geometry": state.geometry}
        for _ in range(eff.n_ministeps):
            derivative = eff.ode(action, states, load, eff.default_joint_load)
            states = eff.integration_step(eff.minidt, derivative, states)
        cartesian = eff.joint2cartesian(states["joint"])
        vision = torch.cat([state.vision[:, 1:], (cartesian[:, None, :2] + noise.vision[:, None])], dim=1)
        prop = self.proprioception(states["muscle"]) + noise.proprioception
        prop = torch.cat([state.proprioception[:, 1:], prop[:, None]], dim=1)
        new = State(hidden, states["joint"], states["muscle"], states["geometry"], vision, prop)
        return new, StepOutput(command, action, load, cartesian)


@dataclass
class Rollout:
    """A recorded set of trials. B = trials, T = steps; arrays are numpy, SI units."""

    fingertip: np.ndarray  # (B, T+1, 2) hand position, initial state first (m)
    velocity: np.ndarray  # (B, T+1, 2) hand velocity (m/s)
    joint: np.ndarray  # (B, T+1, 2*dof) joint angles then velocities (rad, rad/s)
    action: np.ndarray  # (B, T, M) command applied to the muscles, noise included
    endpoint_load: np.ndarray  # (B, T, 2) external force at the hand during each step (N)
    hidden: np.ndarray  # (B, T+1, H) GRU hidden state, initial state first
    target: np.ndarray  # (B, 2) target position (m)
    activation: np.ndarray  # (B, T+1, M) muscle activation state
    dt: float
    config: dict[str, Any] = field(default_factory=dict)

    ARRAYS = ("fingertip", "velocity", "joint", "action", "endpoint_load", "hidden", "target", "activation")

    @property
    def start(self) -> np.ndarray:
        """Hand position at the first step (B, 2)."""
        return self.fingertip[:, 0]

    def metrics(self) -> dict[str, Any]:
        """The book's metrics (SCIENCE.md) per trial and their means; see :mod:`motorkit.metrics`."""
        from motorkit.metrics import summarize

        return summarize(self.fingertip, self.velocity, self.target, self.dt)

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
            arrays = {name: data[name] for name in cls.ARRAYS}
        return cls(**arrays, dt=sidecar["dt"], config=sidecar["config"])


@torch.no_grad()
def rollout(
    sim: Simulator,
    targets: torch.Tensor,
    field: ForceField = ForceField(),
    catch: bool = False,
    interventions: Sequence[HiddenHook] = (),
    seed: int = 0,
    config: dict[str, Any] | None = None,
) -> Rollout:
    """Run trials to ``targets`` (B, 2) in ``field`` and record everything (eager, no gradients).

    ``interventions`` are called as ``intervention(t, h)`` on the hidden state after the GRU update
    of step ``t`` and before the readout (see :mod:`motorkit.policy`).
    """
    targets = torch.as_tensor(targets, dtype=torch.float32).to(sim.device)
    batch, n_steps = targets.shape[0], sim.env.config.n_steps
    generator = torch.Generator().manual_seed(seed)
    matrices = field.trial_matrices(batch, generator, catch=catch).to(sim.device)
    noise = sim.draw_noise(n_steps, batch, generator)
    state = sim.start(targets)
    cart0 = sim.effector.joint2cartesian(state.joint)
    carts, joints, hiddens, acts = [cart0], [state.joint], [state.hidden], [state.muscle[:, 0]]
    actions, loads = [], []
    for t in range(n_steps):
        state, out = sim.step(state, targets, matrices, Noise(*(n[t] for n in noise)), compose(interventions, t))
        carts.append(out.cartesian)
        joints.append(state.joint)
        hiddens.append(state.hidden)
        acts.append(state.muscle[:, 0])
        actions.append(out.action)
        loads.append(out.load)

    def stack(xs: list[torch.Tensor]) -> np.ndarray:
        return torch.stack(xs, dim=1).cpu().numpy()

    cart = stack(carts)
    info = dict(config or {})
    info.update(field=field.kind, strength=field.strength, catch=catch, seed=seed,
                interventions=[type(i).__name__ for i in interventions])
    return Rollout(
        fingertip=cart[..., :2], velocity=cart[..., 2:], joint=stack(joints), action=stack(actions),
        endpoint_load=stack(loads), hidden=stack(hiddens), target=targets.cpu().numpy(),
        activation=stack(acts), dt=sim.env.config.dt, config=info,
    )
