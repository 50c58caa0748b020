"""Tasks: centre-out reaching on a motornet ``Environment``.

The training distribution is centre-out reaching from the task's start posture to targets in every
direction, at distances spread uniformly over the disc of radius ``reach`` (density grows with the
radius, so most reaches are long but short ones teach holding still). Training on the start posture
of the test set is what trains fastest for the book's 8-target test: the network never has to learn
postures it is never tested on. The test set (book/conventions.md) is 8 targets 45 deg apart,
counter-clockwise from +x, at distance ``reach``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import motornet as mn
import numpy as np
import torch

from motorkit.bodies import ARM_START_DEG, EFFECTORS, make_effector

#: Reach distance (m) of the test set per effector. Arm: 10 cm (book/conventions.md). Point mass: 40 cm,
#: a fifth of its 2 m wide workspace, so reaches stay far from the walls at +-1 m.
DEFAULT_REACH: dict[str, float] = {"arm26": 0.10, "pointmass": 0.40}


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

    def __post_init__(self) -> None:
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

    @property
    def n_steps(self) -> int:
        """Number of simulation steps in an episode."""
        return int(round(self.duration / self.dt))

    @property
    def reach_m(self) -> float:
        """Reach distance of the test set (m)."""
        return DEFAULT_REACH[self.effector] if self.reach is None else float(self.reach)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def test_directions(n: int = 8) -> np.ndarray:
    """Target directions (rad) of the centre-out test set: ``n`` angles counter-clockwise from +x."""
    return np.arange(n) * 2 * math.pi / n


class CentreOutReach(mn.environment.Environment):
    """Centre-out reaching from a fixed start posture to a target shown from the first step.

    Observations follow motornet's order: target (2), delayed hand position (2), delayed normalised
    muscle lengths and velocities (2 x muscles).
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
        self.start_joint = self._start_joint()
        self.start = self.effector.joint2cartesian(self.start_joint)[:, :2]

    def _start_joint(self) -> torch.Tensor:
        if self.config.effector == "arm26":
            return torch.tensor([np.deg2rad(ARM_START_DEG).tolist() + [0.0, 0.0]], dtype=torch.float32)
        return torch.zeros((1, 4), dtype=torch.float32)

    @property
    def n_inputs(self) -> int:
        """Size of the observation vector."""
        return int(self.observation_space.shape[0])

    def test_targets(self, n: int = 8) -> torch.Tensor:
        """The centre-out test targets (n, 2) in metres: ``reach`` from the start, 360/n deg apart."""
        ang = torch.tensor(test_directions(n), dtype=torch.float32)
        offsets = self.config.reach_m * torch.stack([torch.cos(ang), torch.sin(ang)], dim=-1)
        return self.start + offsets

    def sample_targets(self, batch_size: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Training targets (B, 2): uniform direction, distance uniform over the disc of radius ``reach``."""
        ang = 2 * math.pi * torch.rand(batch_size, generator=generator)
        dist = self.config.reach_m * torch.sqrt(torch.rand(batch_size, generator=generator))
        return self.start + dist[:, None] * torch.stack([torch.cos(ang), torch.sin(ang)], dim=-1)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Start every trial at the start posture; ``options["targets"]`` (B, 2) sets the targets.

        Without targets, the test set is used (its size sets the batch).
        """
        self._set_generator(seed=seed)
        options = {} if options is None else options
        targets = options.get("targets")
        targets = self.test_targets() if targets is None else torch.as_tensor(targets, dtype=torch.float32)
        batch_size = targets.shape[0]
        deterministic: bool = options.get("deterministic", False)

        self.effector.reset(options={"batch_size": batch_size, "joint_state": self.start_joint})
        self.goal = targets.to(self.device)
        self.elapsed = 0.0
        action = torch.zeros((batch_size, self.action_space.shape[0]), device=self.device)
        self.obs_buffer["proprioception"] = [self.get_proprioception()] * len(self.obs_buffer["proprioception"])
        self.obs_buffer["vision"] = [self.get_vision()] * len(self.obs_buffer["vision"])
        self.obs_buffer["action"] = [action] * self.action_frame_stacking
        obs = self.get_obs(deterministic=deterministic)
        info = {"states": self.states, "action": action, "noisy action": action, "goal": self.goal}
        return obs, info
