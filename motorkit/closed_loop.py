"""The closed loop: policy and effector advanced together, one pure step at a time.

One function, :meth:`Simulator.step`, advances policy and effector by one time step using motornet's
own effector methods (``ode``, ``integration_step``, ``joint2cartesian``), so the physics is motornet's.
What makes it fast is that it is pure (states in, states out, no Python-side buffers or numpy noise):
``torch.compile`` fuses the hundreds of tiny ops of a step into a few kernels, forward and backward.
Noise is drawn up front from a seeded ``torch.Generator``.
"""

from __future__ import annotations

import warnings
from typing import Callable, NamedTuple

import torch

from motorkit.fields import HandLoad
from motorkit.policy import GRUPolicy
from motorkit.tasks import CentreOutReach, Trials

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
    hidden: torch.Tensor  # (B, H) the policy's hidden state after the step


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

    def start(self, trials: Trials) -> State:
        """Reset the effector at the trials' start postures (motornet's reset) and fill the delay lines."""
        self.env.reset(options={"trials": trials, "deterministic": True})
        s = self.effector.states
        batch = trials.target.shape[0]
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
        cue: torch.Tensor,
        field: HandLoad,
        noise: Noise,
        hook: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> tuple[State, StepOutput]:
        """Advance one time step: observe, act, apply the field, integrate the effector (motornet's Euler).

        ``cue`` (B, 3) is what the task shows this step: the target and the go signal
        (:class:`motorkit.tasks.Schedule`);
        ``field`` each trial's external force law (:class:`motorkit.fields.HandLoad`), applied at the hand
        state the step starts from.
        """
        eff = self.effector
        obs = torch.cat([cue, state.vision[:, 0], state.proprioception[:, 0]], dim=-1)
        command, hidden = self.policy(obs, state.hidden, hook)
        load = field.force(eff.joint2cartesian(state.joint))
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
        return new, StepOutput(command, action, load, cartesian, hidden)
