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


# --------------------------------------------------------------------------------------------------
# Chapter 5 (hidden-state PCA): where trajectories end, how far adaptation moves them, rotation planes


def peak_speed_step(velocity: np.ndarray) -> int:
    """The step (index into T+1) at which the hand speed averaged over trials peaks, from (B, T+1, 2)."""
    return int(np.linalg.norm(velocity, axis=-1).mean(axis=0).argmax())


def circular_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Fisher & Lee's (1983) circular correlation of two sets of angles in radians.

    +1 when ``b`` turns with ``a`` (same order around the circle, any rotation), -1 when it turns
    against it (mirror order), about 0 when the order is unrelated. Unlike coefficients built on mean
    directions it is defined for angles spread evenly around the circle (like the centre-out targets).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    sa = np.sin(a[:, None] - a[None, :])
    sb = np.sin(b[:, None] - b[None, :])
    return float((sa * sb).sum() / np.sqrt((sa**2).sum() * (sb**2).sum()))


def decoding_r2(states: np.ndarray, positions: np.ndarray, folds: int = 2) -> float:
    """Cross-validated R² of a linear map (with offset) from ``states`` (N, k) to ``positions`` (N, d).

    Sample ``i`` is held out in fold ``i % folds`` (interleaved folds suit conditions ordered around a
    circle); R² pools the held-out predictions: 1 - SSE / total sum of squares about the mean.
    """
    states, positions = np.asarray(states, dtype=float), np.asarray(positions, dtype=float)
    if folds < 2 or len(states) < 2 * folds:
        raise ValueError(f"need folds >= 2 and at least 2 samples per fold, got {folds} folds, {len(states)} samples")
    design = np.hstack([states, np.ones((len(states), 1))])
    predicted = np.empty_like(positions)
    fold = np.arange(len(states)) % folds
    for f in range(folds):
        train, test = fold != f, fold == f
        weights, *_ = np.linalg.lstsq(design[train], positions[train], rcond=None)
        predicted[test] = design[test] @ weights
    return _r2(positions, predicted)


def rms_spread(hidden: np.ndarray) -> float:
    """Root-mean-square distance of the states (any shape ending in H) from their mean state."""
    flat = hidden.reshape(-1, hidden.shape[-1])
    return float(np.sqrt(((flat - flat.mean(axis=0)) ** 2).sum(axis=1).mean()))


def variance_captured(hidden: np.ndarray, pca: PCA, k: int = 3) -> float:
    """Fraction of the variance of ``hidden`` (about its own mean) that lies in ``pca``'s top-``k`` axes."""
    flat = hidden.reshape(-1, hidden.shape[-1])
    flat = flat - flat.mean(axis=0)
    coords = flat @ pca.components_[:k].T
    return float((coords**2).sum() / (flat**2).sum())


def shift_basis(difference: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` orthonormal directions (k, H) carrying most of a difference of activity, and their share.

    ``difference`` is (..., H), e.g. adapted minus null hidden states per target and step. The SVD is
    NOT centred, so a uniform shift counts; the second output is each direction's fraction of the
    difference's total squared norm (k,).
    """
    flat = difference.reshape(-1, difference.shape[-1])
    _, s, vt = np.linalg.svd(flat, full_matrices=False)
    energy = s**2 / (s**2).sum()
    return vt[:k], energy[:k]


def energy_in_subspace(x: np.ndarray, basis: np.ndarray) -> float:
    """Fraction of the total squared norm of vectors ``x`` (..., H) inside the span of orthonormal ``basis`` (k, H)."""
    flat = x.reshape(-1, x.shape[-1])
    return float(((flat @ basis.T) ** 2).sum() / (flat**2).sum())


def shift_summary(after: np.ndarray, before: np.ndarray, pca: PCA, k: int = 3) -> dict[str, float]:
    """How activity changed between two rollouts of the same conditions (B, T+1, H): size, shape, place.

    * ``rms_change``: RMS over targets and steps of the change's norm; ``rms_change_over_spread``: that
      over :func:`rms_spread` of ``before`` (1 = as large as the activity's own spread);
    * ``uniform_fraction``: the share of the change's squared norm that is one constant vector (the
      mean shift, :func:`activity_shift`), the same for every target and step;
    * ``top{k}_own_fraction``: the share carried by the change's own top-``k`` directions
      (:func:`shift_basis`): near 1 means a change along few dimensions;
    * ``in_top{k}_pcs_fraction``: the share inside ``pca``'s top-``k`` axes (the network before), against
      ``chance_fraction`` = k / H for a random ``k``-dimensional subspace;
    * ``mean_shift_norm`` and ``mean_shift_in_top{k}_pcs``: the constant part alone.
    """
    diff = after - before
    flat = diff.reshape(-1, diff.shape[-1])
    mean = flat.mean(axis=0)
    rms = float(np.sqrt((flat**2).sum(axis=1).mean()))
    _, own = shift_basis(diff, k)
    return {
        "rms_change": rms,
        "rms_change_over_spread": rms / rms_spread(before),
        "uniform_fraction": float(mean @ mean / (flat**2).sum(axis=1).mean()),
        f"top{k}_own_fraction": float(own.sum()),
        f"in_top{k}_pcs_fraction": energy_in_subspace(diff, pca.components_[:k]),
        "chance_fraction": k / diff.shape[-1],
        "mean_shift_norm": float(np.linalg.norm(mean)),
        f"mean_shift_in_top{k}_pcs": fraction_in_subspace(mean, pca, k) if mean @ mean > 0 else 0.0,
    }


def rotation_plane(fit: RotationFit) -> np.ndarray:
    """The plane (2, k) of the fastest rotation of a :class:`RotationFit` (jPCA's first jPC plane).

    Orthonormal rows in the fit's k coordinates, ordered so that the rotation runs counter-clockwise
    from the first row towards the second (for positive rotation frequency).
    """
    values, vectors = np.linalg.eig(fit.skew)
    v = vectors[:, np.argmax(values.imag)]
    plane = np.stack([v.real, v.imag])
    q, _ = np.linalg.qr(plane.T)
    plane = q.T
    rotation = plane @ fit.skew @ plane.T  # 2x2, skew: [[0, w], [-w, 0]]
    if rotation[1, 0] < 0:  # make d(second)/dt = +w * first: counter-clockwise in (first, second)
        plane = plane[::-1].copy()
    return plane


def local_maxima(x: np.ndarray, above: float = 0.5) -> list[int]:
    """Indices of the local maxima of a 1-D series that exceed ``above`` times its largest value."""
    x = np.asarray(x, dtype=float)
    inner = (x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:]) & (x[1:-1] > above * x.max())
    return [int(i) + 1 for i in np.nonzero(inner)[0]]


def condition_independent_fraction(x: np.ndarray) -> float:
    """Share of the variance of ``x`` (B conditions, T steps, ...) that every condition shares.

    The shared part is the mean over conditions at each step (the condition-independent time course,
    which jPCA removes); the rest is what tells the conditions apart. 1: all conditions identical.
    """
    x = np.asarray(x, dtype=float)
    x = x.reshape(x.shape[0], x.shape[1], -1)
    grand = x.reshape(-1, x.shape[-1]).mean(axis=0)
    total = ((x - grand) ** 2).sum(axis=-1).mean()
    shared = ((x.mean(axis=0) - grand) ** 2).sum(axis=-1).mean()
    return float(shared / total)


def neighbour_distance_ratio(points: np.ndarray) -> float:
    """Mean distance between consecutive points (n, k), the last joined to the first, over the mean
    distance between all pairs. Small (well below 1): the points lie along a closed curve in their
    order, as the end states of reaches to targets around a circle do when neighbours end together.
    """
    points = np.asarray(points, dtype=float)
    steps = np.linalg.norm(points - np.roll(points, -1, axis=0), axis=-1).mean()
    pairs = np.mean([np.linalg.norm(a - b) for a, b in combinations(points, 2)])
    return float(steps / pairs)


def alignment_index(hidden: np.ndarray, pca: PCA, k: int = 3) -> float:
    """How much of the variance of ``hidden`` (..., H) lies in ``pca``'s top-``k`` axes, over the most
    that any ``k`` axes could hold (its own top ``k``): Elsayed et al. (2016)'s alignment index. 1: the
    two share their subspace; about k/H: unrelated. Asks whether preparation and movement use the same
    dimensions."""
    own = fit_pca(hidden.reshape(-1, hidden.shape[-1]), n_components=k)
    return variance_captured(hidden, pca, k) / variance_captured(hidden, own, k)


def potent_fraction(hidden: np.ndarray, readout: np.ndarray) -> float:
    """Share of the variance of ``hidden`` (..., H), about its mean, in the readout's output-potent space:
    the row space of ``readout`` (M outputs, H units), the only directions the muscles feel. Activity
    outside it (output-null) can change without moving the body (Kaufman et al. 2014); chance is M/H."""
    flat = hidden.reshape(-1, hidden.shape[-1])
    flat = flat - flat.mean(axis=0)
    basis = np.linalg.qr(np.asarray(readout, dtype=float).T)[0]  # (H, M), orthonormal
    return float(((flat @ basis) ** 2).sum() / (flat**2).sum())


def subspace_occupancy(hidden: np.ndarray, pca: PCA, k: int = 3) -> np.ndarray:
    """At each step, the share of the variance across conditions of ``hidden`` (B, T+1, H) that lies in
    ``pca``'s top-``k`` axes (T+1,); NaN where the conditions do not differ (the common initial state).
    Shows when activity enters and leaves a subspace, e.g. the preparatory one (Elsayed et al. 2016)."""
    dependent = hidden - hidden.mean(axis=0, keepdims=True)
    inside = ((dependent @ pca.components_[:k].T) ** 2).sum(axis=(0, 2))
    total = (dependent**2).sum(axis=(0, 2))
    return np.divide(inside, total, out=np.full(total.shape, np.nan), where=total > 1e-12)
