"""Analysis of hidden states: principal components, condition spread, subspaces, rotations.

Inputs are rollouts' hidden states, arrays (B conditions, T+1 steps, H units). The PCA is
scikit-learn's; the rotational-dynamics fit follows jPCA (Churchland et al. 2012): in the top
principal components, fit dX/dt = X M^T with M skew-symmetric and ask which fraction of the
derivative's variance it explains, against an unconstrained linear fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA


def fit_pca(*hidden: np.ndarray, n_components: int = 10) -> PCA:
    """PCA of the hidden states of one or more rollouts, all steps and conditions pooled."""
    data = np.concatenate([h.reshape(-1, h.shape[-1]) for h in hidden])
    return PCA(n_components=min(n_components, data.shape[1])).fit(data)


def project(pca: PCA, hidden: np.ndarray) -> np.ndarray:
    """Hidden states (B, T+1, H) in PC coordinates (B, T+1, k)."""
    b, t, h = hidden.shape
    return pca.transform(hidden.reshape(-1, h)).reshape(b, t, -1)


def spread(trajectories: np.ndarray, step: int, dims: int = 3) -> float:
    """Mean pairwise distance between conditions at ``step`` in the first ``dims`` coordinates."""
    points = trajectories[:, step, :dims]
    return float(np.mean([np.linalg.norm(a - b) for a, b in combinations(points, 2)]))


def spread_over_time(trajectories: np.ndarray, dims: int = 3) -> np.ndarray:
    """:func:`spread` at every step (T+1,)."""
    return np.array([spread(trajectories, t, dims) for t in range(trajectories.shape[1])])


def principal_angles_deg(pca_a: PCA, pca_b: PCA, k: int = 3) -> np.ndarray:
    """Principal angles (deg, ascending) between the top-``k`` PC subspaces of two networks."""
    return np.sort(np.degrees(subspace_angles(pca_a.components_[:k].T, pca_b.components_[:k].T)))


def activity_shift(hidden_after: np.ndarray, hidden_before: np.ndarray) -> np.ndarray:
    """Mean change of activity (H,) between two rollouts of the same conditions (after - before)."""
    return (hidden_after - hidden_before).reshape(-1, hidden_after.shape[-1]).mean(axis=0)


def fraction_in_subspace(vector: np.ndarray, pca: PCA, k: int = 3) -> float:
    """Fraction of a vector's squared norm that lies in the top-``k`` PC subspace."""
    coords = pca.components_[:k] @ vector
    return float(coords @ coords / (vector @ vector))


@dataclass
class RotationFit:
    """A jPCA-style fit of dX/dt = X M^T in the top PCs."""

    skew: np.ndarray  # (k, k) best skew-symmetric M
    full: np.ndarray  # (k, k) best unconstrained M
    r2_skew: float  # variance of dX/dt explained by the skew-symmetric fit
    r2_full: float  # ... by the unconstrained fit

    @property
    def rotation_fraction(self) -> float:
        """How much of the linear dynamics is rotational: r2_skew / r2_full."""
        return self.r2_skew / self.r2_full if self.r2_full > 0 else 0.0

    @property
    def frequencies_hz(self) -> np.ndarray:
        """Rotation frequencies of the skew-symmetric fit (Hz), largest first, one per plane."""
        freqs = np.abs(np.linalg.eigvals(self.skew).imag) / (2 * np.pi)
        return np.sort(freqs)[::-1][::2]


def _r2(target: np.ndarray, predicted: np.ndarray) -> float:
    return float(1 - np.sum((target - predicted) ** 2) / np.sum((target - target.mean(0)) ** 2))


def fit_rotation(trajectories: np.ndarray, dt: float, k: int = 6, start: int = 0, stop: int | None = None) -> RotationFit:
    """Fit rotational dynamics in the first ``k`` coordinates of ``trajectories`` (B, T+1, >=k).

    Steps ``start:stop`` are used; states are centred over conditions at each step (as jPCA does,
    removing the condition-independent part), derivatives are finite differences divided by ``dt``.
    """
    x = trajectories[:, start:stop, :k]
    x = x - x.mean(axis=0, keepdims=True)
    dx = np.diff(x, axis=1) / dt
    xs = (0.5 * (x[:, 1:] + x[:, :-1])).reshape(-1, k)
    dxs = dx.reshape(-1, k)
    full_t, *_ = np.linalg.lstsq(xs, dxs, rcond=None)
    full = full_t.T
    pairs = list(combinations(range(k), 2))
    design = np.zeros((dxs.size, len(pairs)))
    for p, (i, j) in enumerate(pairs):  # M[i, j] = theta, M[j, i] = -theta
        block = np.zeros_like(dxs)
        block[:, i] = xs[:, j]
        block[:, j] = -xs[:, i]
        design[:, p] = block.reshape(-1)
    theta, *_ = np.linalg.lstsq(design, dxs.reshape(-1), rcond=None)
    skew = np.zeros((k, k))
    for p, (i, j) in enumerate(pairs):
        skew[i, j], skew[j, i] = theta[p], -theta[p]
    return RotationFit(skew, full, _r2(dxs, xs @ skew.T), _r2(dxs, xs @ full.T))
