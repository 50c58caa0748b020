"""Interventions on hidden states: directions to push along, and how much the hand cares.

The intervention objects themselves (:class:`~motorkit.policy.Perturb`, ``Clamp``, ``ClampSubspace``,
``Replace``) live in :mod:`motorkit.policy`; this module builds their directions and measures their
effect on behaviour against an unperturbed rollout of the same trials.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.decomposition import PCA

from motorkit.rollouts import Rollout


def pc_directions(pca: PCA, k: int = 3) -> torch.Tensor:
    """The top-``k`` principal axes as unit vectors (k, H)."""
    return torch.as_tensor(pca.components_[:k], dtype=torch.float32)


def random_directions(n: int, hidden: int, seed: int = 0) -> torch.Tensor:
    """``n`` random unit vectors (n, H), seeded: the control for pulses along principal axes."""
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(n, hidden, generator=g)
    return v / v.norm(dim=1, keepdim=True)


def hand_deviation(perturbed: Rollout, base: Rollout) -> np.ndarray:
    """Largest distance (m) between perturbed and unperturbed hand paths, per trial (B,)."""
    return np.linalg.norm(perturbed.fingertip - base.fingertip, axis=-1).max(axis=1)


def recovery_time(perturbed: Rollout, base: Rollout, after_step: int, tolerance: float = 0.005) -> np.ndarray:
    """Seconds after ``after_step`` until the hand stays within ``tolerance`` m of its unperturbed path.

    ``nan`` for trials that never come back within the episode (B,).
    """
    distance = np.linalg.norm(perturbed.fingertip - base.fingertip, axis=-1)[:, after_step:]
    out = np.full(distance.shape[0], np.nan)
    for b, d in enumerate(distance):
        outside = np.nonzero(d > tolerance)[0]
        if outside.size == 0:
            out[b] = 0.0
        elif outside[-1] < d.size - 1:
            out[b] = (outside[-1] + 1) * perturbed.dt
    return out
