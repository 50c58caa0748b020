"""Bodies: the two effectors of the book, built from motornet 0.3.0 as they are.

``pointmass`` is ``ReluPointMass24`` (1 kg, four 500 N ReLU muscles in an X) and ``arm26`` is
``RigidTendonArm26`` with ``RigidTendonHillMuscle`` (two joints, six lumped muscles).

This is the body factory: what a trained model depends on, and the only effector code the model
cache hashes (:func:`motorkit.training.model_code_hash`). Chapter 1's probes of the bodies (muscle
curves, moment arms, open-loop simulations) live in :mod:`motorkit.effectors`.
"""

from __future__ import annotations

import types

import motornet as mn
import torch

EFFECTORS: tuple[str, ...] = ("pointmass", "arm26")

#: Start posture of the arm for the centre-out test set (book/conventions.md): shoulder 60 deg, elbow 90 deg.
ARM_START_DEG: tuple[float, float] = (60.0, 90.0)


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
