"""Bodies: the two effectors of the book, built from motornet 0.3.0 as they are.

``pointmass`` is ``ReluPointMass24`` (1 kg, four 500 N ReLU muscles in an X) and ``arm26`` is
``RigidTendonArm26`` with ``RigidTendonHillMuscle`` (two joints, six lumped muscles).

This is the body factory: what a trained model depends on, and the only effector code the model
cache hashes (:func:`motorkit.modelcache.model_code_hash`). Chapter 1's probes of the bodies (muscle
curves, moment arms, open-loop simulations) live in :mod:`motorkit.effectors`.
"""

from __future__ import annotations

import math
import types
from typing import Sequence

import motornet as mn
import numpy as np
import torch

EFFECTORS: tuple[str, ...] = ("pointmass", "arm26")

#: Start posture of the arm for the centre-out test set (book/conventions.md): shoulder 60 deg, elbow 90 deg.
ARM_START_DEG: tuple[float, float] = (60.0, 90.0)

#: How people give each body's posture: the arm's joint angles in degrees (motornet: radians), the
#: point mass's position in metres (motornet's own unit). :func:`posture_to_joint` converts.
POSTURE_UNIT: dict[str, str] = {"arm26": "deg", "pointmass": "m"}
#: The test set's start posture per body, in :data:`POSTURE_UNIT`.
TEST_START: dict[str, tuple[float, float]] = {"arm26": ARM_START_DEG, "pointmass": (0.0, 0.0)}

#: Where training trials start (book/conventions.md), per effector, as ((lo, hi), (lo, hi)) of the two
#: joints in motornet's coordinates: degrees of shoulder and elbow for the arm (its test posture,
#: 60/90 deg, is in the middle), metres of x and y for the point mass (the origin in the middle).
START_REGION: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "arm26": ((30.0, 90.0), (60.0, 120.0)),
    "pointmass": ((-0.4, 0.4), (-0.4, 0.4)),
}

#: How far inside its limits a target must lie to count as reachable: 5 deg of each arm joint,
#: 10 cm from the point mass's walls.
REACH_MARGIN: dict[str, float] = {"arm26": math.radians(5.0), "pointmass": 0.10}


def posture_to_joint(name: str, posture: Sequence[float] | np.ndarray | torch.Tensor) -> torch.Tensor:
    """Joint positions (B, dof) in motornet's units for postures (B, dof) or (dof,) in :data:`POSTURE_UNIT`.

    Converted in the posture's own precision (a tensor's dtype; float64 otherwise), returned as float32.
    """
    pos = (posture if torch.is_tensor(posture) else torch.as_tensor(np.asarray(posture, dtype=np.float64)))
    pos = pos.reshape(-1, 2)
    return (torch.deg2rad(pos) if POSTURE_UNIT[name] == "deg" else pos).to(torch.float32)


def joint_to_posture(name: str, joint: np.ndarray | torch.Tensor) -> np.ndarray:
    """Joint positions in motornet's units as postures in :data:`POSTURE_UNIT` (the inverse of
    :func:`posture_to_joint`)."""
    pos = joint.detach().cpu().numpy() if torch.is_tensor(joint) else np.asarray(joint)
    return np.rad2deg(pos) if POSTURE_UNIT[name] == "deg" else pos


def _clip_activation_float_bounds(self: mn.muscle.Muscle, a: torch.Tensor) -> torch.Tensor:
    """``Muscle.clip_activation`` with Python-float bounds: the same clamp, but one graph under torch.compile."""
    return torch.clamp(a, self._min_activation_float, 1.0)


def make_compilable(effector: mn.effector.Effector) -> mn.effector.Effector:
    """Patch (on this instance only) the one motornet method that breaks ``torch.compile`` graphs.

    motornet clamps activations with a tensor lower bound (``min_activation``), which dynamo cannot
    trace into the same graph; a float bound computes the identical result.
    """
    muscle = effector.muscle
    muscle._min_activation_float = float(muscle.min_activation)
    muscle.clip_activation = types.MethodType(_clip_activation_float_bounds, muscle)
    return effector


def make_effector(name: str, dt: float = 0.01) -> mn.effector.Effector:
    """Build a fresh effector preset by name (``"pointmass"`` or ``"arm26"``) with time step ``dt`` seconds."""
    if name == "pointmass":
        effector = mn.effector.ReluPointMass24(timestep=dt)
    elif name == "arm26":
        effector = mn.effector.RigidTendonArm26(muscle=mn.muscle.RigidTendonHillMuscle(), timestep=dt)
    else:
        raise ValueError(f"unknown effector {name!r}: choose one of {', '.join(EFFECTORS)}")
    return make_compilable(effector)


def joint_position(effector: mn.effector.Effector, hand: torch.Tensor) -> torch.Tensor:
    """Joint positions (B, dof) that put the hand at ``hand`` (B, 2) m: motornet's units, NaN if out of reach.

    The point mass's joints are its position. For the arm this is the closed-form inverse of motornet's
    two-link kinematics, with the elbow flexed (motornet's elbow angle is >= 0); a point the links cannot
    span gets NaN.
    """
    hand = torch.as_tensor(hand, dtype=torch.float32).reshape(-1, 2)
    if isinstance(effector, mn.effector.ReluPointMass24):
        return hand.clone()
    l1, l2 = float(effector.skeleton.L1), float(effector.skeleton.L2)
    cos_elbow = (hand.square().sum(-1) - l1**2 - l2**2) / (2 * l1 * l2)
    elbow = torch.acos(torch.where(cos_elbow.abs() <= 1, cos_elbow, torch.nan))
    shoulder = torch.atan2(hand[:, 1], hand[:, 0]) - torch.atan2(l2 * torch.sin(elbow), l1 + l2 * torch.cos(elbow))
    shoulder = torch.remainder(shoulder + math.pi, 2 * math.pi) - math.pi  # in (-pi, pi]
    return torch.stack([shoulder, elbow], dim=-1)


def reachable(effector: mn.effector.Effector, name: str, hand: torch.Tensor) -> torch.Tensor:
    """Whether each hand position (B, 2) m lies within the joint limits, ``REACH_MARGIN`` inside (B,) bool."""
    joint = joint_position(effector, hand)
    margin = REACH_MARGIN[name]
    lo = effector.pos_lower_bound.reshape(1, -1) + margin
    hi = effector.pos_upper_bound.reshape(1, -1) - margin
    return ((joint >= lo) & (joint <= hi)).all(dim=-1)  # NaN compares False: out of reach
