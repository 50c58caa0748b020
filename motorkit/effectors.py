"""Effectors: chapter 1's probes of the two bodies (anatomy, muscle curves, open-loop simulations).

The bodies themselves are built by :mod:`motorkit.bodies` (the body factory, re-exported here for
chapter 1); nothing here changes what a trained model is, so editing it invalidates no cached model.
"""

from __future__ import annotations

from collections.abc import Sequence

import motornet as mn
import numpy as np
import torch

from motorkit.bodies import (ARM_START_DEG, EFFECTORS, START_REGION, TEST_START,  # noqa: F401 (re-exported)
                             joint_to_posture, make_effector, posture_to_joint)
from motorkit.fields import ForceField
from motorkit.rollouts import Rollout, stack_steps



# ---------------------------------------------------------------------------------------------------
# Chapter 1 helpers: naming, start postures, states, muscle curves, moment arms and open-loop simulation.
# Everything below calls motornet's own methods (reset, step, get_geometry, joint2cartesian,
# muscle.integrate); nothing re-implements its physics.
# ---------------------------------------------------------------------------------------------------

#: Readable names for motornet's muscle identifiers (used in legends and tables).
MUSCLE_LABELS: dict[str, str] = {
    "pectoralis": "pectoralis",
    "deltoid": "deltoid",
    "brachioradialis": "brachioradialis",
    "tricepslat": "triceps lateral",
    "biceps": "biceps",
    "tricepslong": "triceps long",
    "UpperRight": "upper right",
    "UpperLeft": "upper left",
    "LowerRight": "lower right",
    "LowerLeft": "lower left",
}

#: Units of each state variable, keyed by motornet's state names (for the state tables).
STATE_UNITS: dict[str, str] = {
    "activation": "-",
    "muscle length": "m",
    "muscle velocity": "m/s",
    "force-length PE": "x F_max",
    "force-length CE": "x F_max",
    "force-velocity CE": "x F_max",
    "force": "N",
    "musculotendon length": "m",
    "musculotendon velocity": "m/s",
    "moment for joint 0": "m",
    "moment for joint 1": "m",
}

def effector_name(effector: mn.effector.Effector) -> str:
    """The preset name (``"pointmass"`` or ``"arm26"``) of an effector built by :func:`make_effector`."""
    if isinstance(effector, mn.effector.ReluPointMass24):
        return "pointmass"
    if isinstance(effector, mn.effector.RigidTendonArm26):
        return "arm26"
    raise ValueError(f"not a book preset: {type(effector).__name__}")


def muscle_labels(effector: mn.effector.Effector) -> list[str]:
    """Readable muscle names in motornet's muscle order (e.g. ``"triceps lateral"`` for ``tricepslat``)."""
    return [MUSCLE_LABELS.get(n, n) for n in effector.muscle_name]


def joint_state_from_deg(angles_deg: Sequence[float] | np.ndarray) -> torch.Tensor:
    """Joint positions in degrees, shape (dof,) or (batch, dof), as a float32 (batch, dof) tensor in radians.

    The arm's joint angles are easier to read in degrees; motornet works in radians.
    """
    return posture_to_joint("arm26", angles_deg)


def joint_state_deg(effector: mn.effector.Effector) -> np.ndarray:
    """The effector's current joint positions, (batch, dof), in degrees for the arm (metres for the point mass)."""
    return joint_to_posture(effector_name(effector), effector.states["joint"][:, : effector.dof])


def start_position(effector: mn.effector.Effector) -> torch.Tensor:
    """The book's start position, (1, dof): the arm at :data:`ARM_START_DEG`, the point mass at the origin."""
    name = effector_name(effector)
    return posture_to_joint(name, TEST_START[name])


def reset_at(
    effector: mn.effector.Effector,
    position: torch.Tensor | None = None,
    batch_size: int = 1,
    velocity: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Reset ``effector`` (via its own ``reset``) at joint ``position`` (default :func:`start_position`).

    ``position`` is (1 or batch, dof) in motornet units (radians for the arm); ``velocity`` (1 or batch,
    dof) optionally sets the joint velocity. Single rows are tiled to the largest of the two batches and
    ``batch_size``. Returns ``effector.states``.
    """
    pos = start_position(effector) if position is None else torch.as_tensor(position, dtype=torch.float32)
    pos = pos.reshape(-1, effector.dof)
    vel = torch.zeros_like(pos) if velocity is None else torch.as_tensor(velocity, dtype=torch.float32)
    vel = vel.reshape(-1, effector.dof)
    batch = max(pos.shape[0], vel.shape[0], batch_size)
    joint = torch.cat([pos.expand(batch, -1), vel.expand(batch, -1)], dim=1)
    effector.reset(options={"batch_size": batch, "joint_state": joint})
    return effector.states


def state_tables(effector: mn.effector.Effector) -> dict[str, dict]:
    """The effector's current states (batch element 0) as tidy tables, for teaching what each number means.

    Returns ``{"body": rows, "muscle": table, "geometry": table}``: ``rows`` is a list of
    ``(group, variable, value, unit)`` for the joint, cartesian and fingertip states; each ``table`` is
    ``{"columns": muscle labels, "rows": [(state name, unit, values per muscle)]}`` with motornet's
    ``muscle.state_name`` and ``effector.geometry_state_name`` as row names.
    """
    arm = effector_name(effector) == "arm26"
    s = {k: v[0].detach().cpu().numpy() for k, v in effector.states.items()}
    if arm:
        joint_names = ["shoulder angle", "elbow angle", "shoulder velocity", "elbow velocity"]
        joint_units = ["rad", "rad", "rad/s", "rad/s"]
    else:
        joint_names = ["x", "y", "x velocity", "y velocity"]
        joint_units = ["m", "m", "m/s", "m/s"]
    rows = [("joint", n, float(v), u) for n, v, u in zip(joint_names, s["joint"], joint_units)]
    cart_names = ["hand x", "hand y", "hand x velocity", "hand y velocity"]
    rows += [("cartesian", n, float(v), u) for n, v, u in zip(cart_names, s["cartesian"], ["m", "m", "m/s", "m/s"])]
    rows += [("fingertip", n, float(v), "m") for n, v in zip(["x", "y"], s["fingertip"])]
    labels = muscle_labels(effector)

    def table(names: list[str], values: np.ndarray) -> dict:
        return {
            "columns": labels,
            "rows": [(n, STATE_UNITS.get(n, ""), [float(x) for x in values[i]]) for i, n in enumerate(names)],
        }

    return {
        "body": rows,
        "muscle": table(list(effector.muscle.state_name), s["muscle"]),
        "geometry": table(list(effector.geometry_state_name), s["geometry"]),
    }


def workspace_points(
    effector: mn.effector.Effector, n: int = 2000, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Hand positions (n, 2) in metres for joint positions drawn uniformly within the joint limits.

    Uses motornet's own forward kinematics (``joint2cartesian``); for the point mass joint space *is* the
    workspace. ``rng`` makes the sample reproducible.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    lo = effector.pos_lower_bound.cpu().numpy()
    hi = effector.pos_upper_bound.cpu().numpy()
    pos = torch.tensor(lo + (hi - lo) * rng.uniform(size=(n, effector.dof)), dtype=torch.float32)
    joint = torch.cat([pos, torch.zeros_like(pos)], dim=1)
    return effector.joint2cartesian(joint)[:, :2].detach().cpu().numpy()


def workspace_outline(effector: mn.effector.Effector, n: int = 200,
                      bounds: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The hand's path (4n, 2) when the joints trace the border of their limits: the outline of the workspace.

    ``bounds`` (lo, hi), in motornet's joint units, outlines a smaller box of joint space instead.
    """
    lo = effector.pos_lower_bound.cpu().numpy() if bounds is None else np.asarray(bounds[0], dtype=float)
    hi = effector.pos_upper_bound.cpu().numpy() if bounds is None else np.asarray(bounds[1], dtype=float)
    t = np.linspace(0.0, 1.0, n)
    a, b = lo + np.outer(t, hi - lo), hi - np.outer(t, hi - lo)
    edges = [
        np.c_[a[:, 0], np.full(n, lo[1])],
        np.c_[np.full(n, hi[0]), a[:, 1]],
        np.c_[b[:, 0], np.full(n, hi[1])],
        np.c_[np.full(n, lo[0]), b[:, 1]],
    ]
    pos = torch.tensor(np.concatenate(edges), dtype=torch.float32)
    joint = torch.cat([pos, torch.zeros_like(pos)], dim=1)
    return effector.joint2cartesian(joint)[:, :2].detach().cpu().numpy()


def start_region_outline(effector: mn.effector.Effector, n: int = 100) -> np.ndarray:
    """The outline (4n, 2) in metres of the region training trials start from (``bodies.START_REGION``)."""
    name = effector_name(effector)
    (a0, a1), (b0, b1) = START_REGION[name]
    lo, hi = (posture_to_joint(name, corner)[0].double().numpy() for corner in ([a0, b0], [a1, b1]))
    return workspace_outline(effector, n, (lo, hi))


def segment_points(effector: mn.effector.Effector, position: torch.Tensor) -> np.ndarray:
    """Shoulder, elbow and hand positions (batch, 3, 2) in metres for arm joint ``position`` (batch, 2) in radians.

    All from motornet's kinematics: the hand from ``joint2cartesian``, the elbow as the origin of the
    forearm (a path point at (0, 0) on body 2, through ``skeleton.path2cartesian``).
    """
    pos = torch.as_tensor(position, dtype=torch.float32).reshape(-1, 2)
    joint = torch.cat([pos, torch.zeros_like(pos)], dim=1)
    with torch.no_grad():
        hand = effector.joint2cartesian(joint)[:, :2].cpu().numpy()
        xy, _, _ = effector.skeleton.path2cartesian(torch.zeros((1, 2, 1)), torch.full((1, 1, 1), 2.0), joint)
    elbow = xy[:, :, 0].cpu().numpy()
    return np.stack([np.zeros_like(elbow), elbow, hand], axis=1)


def pointmass_anchors(effector: mn.effector.Effector) -> np.ndarray:
    """World-fixed anchor points (n_muscles, 2) in metres of the point mass's muscles, from motornet's muscle paths.

    Each muscle pulls the mass straight towards its anchor (the drawings draw them, the colour table
    colours each muscle by its anchor's direction).
    """
    fixation = effector.path_fixation_body.reshape(-1).cpu().numpy()
    coords = effector.path_coordinates[0].cpu().numpy().T  # (n_points, 2)
    index = effector.muscle_index.cpu().numpy()
    return np.array([coords[(index == m + 1) & (fixation == 0)][0] for m in range(effector.n_muscles)])


def posture_grid(effector: mn.effector.Effector, n: int = 61) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """An n x n grid over the arm's joint limits: ``(shoulder_deg (n,), elbow_deg (n,), joint (n*n, 4))``.

    ``joint`` holds motornet joint states (radians, zero velocity), shoulder-major.
    """
    lo = np.rad2deg(effector.pos_lower_bound.cpu().numpy())
    hi = np.rad2deg(effector.pos_upper_bound.cpu().numpy())
    sh = np.linspace(lo[0], hi[0], n)
    el = np.linspace(lo[1], hi[1], n)
    pos = joint_state_from_deg(np.stack(np.meshgrid(sh, el, indexing="ij"), axis=-1).reshape(-1, 2))
    return sh, el, torch.cat([pos, torch.zeros_like(pos)], dim=1)


def moment_arms_grid(
    effector: mn.effector.Effector, n: int = 61
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Moment arms of every muscle over an n x n grid of arm postures, from motornet's ``get_geometry``.

    Returns ``(shoulder_deg (n,), elbow_deg (n,), moments (n_shoulder, n_elbow, dof, n_muscles))`` in metres.
    motornet's sign convention: joint torque = -sum(force x moment arm), so a NEGATIVE moment arm means the
    muscle increases the joint angle (flexes) and a positive one extends.
    """
    sh, el, joint = posture_grid(effector, n)
    with torch.no_grad():
        geometry = effector.get_geometry(joint)
    moments = geometry[:, 2:, :].cpu().numpy().reshape(n, n, effector.dof, effector.n_muscles)
    return sh, el, moments


def fibre_length_range(effector: mn.effector.Effector, n: int = 61) -> np.ndarray:
    """(n_muscles, 2) min and max fibre length, in optimal lengths, over the arm's whole joint range.

    Lengths come from motornet itself: ``get_geometry`` then the muscle's initial state ('muscle length').
    """
    _, _, joint = posture_grid(effector, n)
    with torch.no_grad():
        geometry = effector.get_geometry(joint)
        state = effector.muscle.get_initial_muscle_state(joint.shape[0], geometry)
    length = state[:, effector.muscle.state_name.index("muscle length"), :] / effector.muscle.l0_ce.reshape(1, -1)
    length = length.cpu().numpy()
    return np.stack([length.min(axis=0), length.max(axis=0)], axis=1)


def _evaluate_muscle(
    effector: mn.effector.Effector, length_n: np.ndarray, velocity_n: np.ndarray, activation: float
) -> dict[str, np.ndarray]:
    """Evaluate motornet's muscle model (``muscle.integrate``) at normalised lengths and velocities.

    Lengths are in optimal fibre lengths (l / l0_ce), velocities in optimal lengths per second
    (v / l0_ce, negative = shortening). The musculotendon geometry state is built so that, with a rigid
    tendon, the fibre has exactly that length and velocity; the activation derivative is zero.
    """
    m = effector.muscle
    length_n = np.asarray(length_n, dtype=np.float32)
    velocity_n = np.asarray(velocity_n, dtype=np.float32)
    b = length_n.size
    l0_ce, l0_se = m.l0_ce.reshape(1, -1), m.l0_se.reshape(1, -1)
    geometry = torch.zeros((b, effector.geometry_state_dim, effector.n_muscles))
    geometry[:, 0, :] = l0_se + torch.tensor(length_n).reshape(-1, 1) * l0_ce
    geometry[:, 1, :] = torch.tensor(velocity_n).reshape(-1, 1) * l0_ce
    muscle_state = torch.full((b, m.state_dim, effector.n_muscles), float(activation))
    with torch.no_grad():
        out = m.integrate(m.dt, torch.zeros((b, 1, effector.n_muscles)), muscle_state, geometry)
    names = list(m.state_name)
    return {name: out[:, i, :].cpu().numpy() for i, name in enumerate(names)}


def muscle_force_length(
    effector: mn.effector.Effector, length_n: np.ndarray, activation: float = 1.0
) -> dict[str, np.ndarray]:
    """Force-length relations of the effector's Hill muscles, evaluated by motornet itself (isometric).

    ``length_n`` is the fibre length in optimal lengths. Returns arrays (n_lengths, n_muscles):
    ``active`` (motornet's 'force-length CE', normalised), ``passive`` ('force-length PE', normalised)
    and ``force`` (total, newtons) at the given activation.
    """
    out = _evaluate_muscle(effector, length_n, np.zeros_like(np.asarray(length_n)), activation)
    return {"active": out["force-length CE"], "passive": out["force-length PE"], "force": out["force"]}


def muscle_force_velocity(
    effector: mn.effector.Effector, velocity_n: np.ndarray, activation: float = 1.0
) -> dict[str, np.ndarray]:
    """Force-velocity relation of the effector's Hill muscles at optimal length, evaluated by motornet.

    ``velocity_n`` is the fibre velocity in optimal lengths per second (negative = shortening). Returns
    arrays (n_velocities, n_muscles): ``active`` (motornet's 'force-velocity CE' state: active force over
    F_max, which at optimal length and full activation is the force-velocity factor) and ``force`` (N).
    """
    v = np.asarray(velocity_n)
    out = _evaluate_muscle(effector, np.ones_like(v), v, activation)
    return {"active": out["force-velocity CE"], "force": out["force"]}


def hand_jacobian(effector: mn.effector.Effector, position: torch.Tensor) -> torch.Tensor:
    """Jacobian d(hand x, y)/d(joint positions), (batch, 2, dof), by autograd through motornet's kinematics.

    ``J.T @ F`` is the joint torque that an endpoint force ``F`` (N) produces; motornet applies exactly this
    mapping to ``endpoint_load``.
    """
    pos = torch.as_tensor(position, dtype=torch.float32).reshape(-1, effector.dof)

    def hand(p: torch.Tensor) -> torch.Tensor:
        joint = torch.cat([p, torch.zeros_like(p)]).reshape(1, -1)
        return effector.joint2cartesian(joint)[0, :2]

    return torch.stack([torch.autograd.functional.jacobian(hand, p) for p in pos])


def endpoint_load_torques(
    effector: mn.effector.Effector, position: torch.Tensor, force: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Joint torques from an endpoint ``force`` (batch, 2) at joint ``position``, computed two ways.

    Returns ``(J.T F, tau_motornet)``: the Jacobian-transpose torque, and the torque motornet's skeleton
    ODE applies (its acceleration under ``endpoint_load=force`` mapped back through the inertia, i.e. the
    joint torque that gives the same acceleration). They agree to float32 rounding.
    """
    pos = torch.as_tensor(position, dtype=torch.float32).reshape(-1, effector.dof)
    force = torch.as_tensor(force, dtype=torch.float32).reshape(-1, effector.space_dim)
    jac = hand_jacobian(effector, pos)
    jt_f = torch.einsum("bij,bi->bj", jac, force)
    joint = torch.cat([pos, torch.zeros_like(pos)], dim=1)
    zero = torch.zeros_like(pos)
    with torch.no_grad():
        acc_load = effector.skeleton.ode(zero, joint, endpoint_load=force)
        # acceleration is linear in torque: probe with unit joint torques to recover the inverse inertia
        probes = torch.stack(
            [effector.skeleton.ode(torch.eye(effector.dof)[i].expand_as(pos), joint, torch.zeros_like(force))
             for i in range(effector.dof)], dim=-1)  # (batch, dof, dof) = M^-1
        tau = torch.linalg.solve(probes, acc_load.unsqueeze(-1)).squeeze(-1)
    return jt_f, tau


def simulate_constant(
    effector: mn.effector.Effector,
    excitation: np.ndarray | Sequence[float] | torch.Tensor,
    duration: float,
    position: torch.Tensor | None = None,
    velocity: torch.Tensor | None = None,
    endpoint_load: np.ndarray | Sequence[float] | torch.Tensor | ForceField | None = None,
) -> Rollout:
    """Step ``effector`` open-loop with a constant excitation (batch, n_muscles) for ``duration`` seconds.

    Resets at ``position`` (default :func:`start_position`, tiled over the batch), then calls motornet's
    ``effector.step(excitation, endpoint_load=...)`` round(duration / dt) times. ``endpoint_load`` is a
    constant force (2,) or (batch, 2) in N, or a :class:`~motorkit.fields.ForceField` that reads the
    hand velocity at every step. The excitation is the command; activation follows motornet's
    first-order activation dynamics. Deterministic: no noise is involved. Returns the book's
    batch-first :class:`~motorkit.rollouts.Rollout` (no network: ``hidden`` has zero width, no target).
    """
    u = torch.as_tensor(np.asarray(excitation, dtype=np.float32)).reshape(-1, effector.n_muscles)
    reset_at(effector, position, batch_size=u.shape[0], velocity=velocity)
    batch = effector.states["joint"].shape[0]
    u = u.expand(batch, -1).contiguous()
    n_steps = round(duration / effector.dt)
    field = endpoint_load if isinstance(endpoint_load, ForceField) else None
    const = torch.zeros((batch, effector.space_dim))
    if endpoint_load is not None and field is None:
        const = torch.as_tensor(np.asarray(endpoint_load, dtype=np.float32)).reshape(-1, effector.space_dim)
        const = const.expand(batch, -1).contiguous()
    states = [{k: effector.states[k].clone() for k in ("joint", "cartesian", "muscle")}]
    loads = []
    with torch.no_grad():
        for _ in range(n_steps):
            load = field.force(effector.states["cartesian"][:, 2:4]) if field is not None else const
            loads.append(load)
            effector.step(u, endpoint_load=load)
            states.append({k: effector.states[k].clone() for k in ("joint", "cartesian", "muscle")})
    cart, muscle = (stack_steps([s[k] for s in states]) for k in ("cartesian", "muscle"))
    return Rollout(
        hand=cart[..., :2], velocity=cart[..., 2:4], joint=stack_steps([s["joint"] for s in states]),
        action=np.repeat(u.numpy()[:, None], n_steps, axis=1),
        endpoint_load=stack_steps(loads) if loads else np.zeros((batch, 0, effector.space_dim), np.float32),
        hidden=np.zeros((batch, n_steps + 1, 0), np.float32), target=np.full((batch, 2), np.nan, np.float32),
        activation=muscle[:, :, 0], muscle=muscle, dt=effector.dt,
        config={"effector": effector_name(effector), "open_loop": True,
                **(field.describe() if field is not None else {})},
    )


def single_muscle_excitations(effector: mn.effector.Effector, level: float) -> np.ndarray:
    """An (n_muscles, n_muscles) excitation batch: row i drives muscle i alone at ``level``, the rest at zero."""
    return np.eye(effector.n_muscles, dtype=np.float32) * np.float32(level)


def single_muscle_runs(
    effectors: Sequence[mn.effector.Effector], levels: Sequence[float], duration: float
) -> list[Rollout]:
    """For each effector, every muscle excited alone at its level (one trial per muscle), from rest."""
    return [simulate_constant(e, single_muscle_excitations(e, level), duration) for e, level in zip(effectors, levels)]


def first_limit_time(effector: mn.effector.Effector, rollout: Rollout, tol: float = 1e-4) -> np.ndarray:
    """Per batch element, the first time (s) any joint sits at its position limit; ``nan`` if never."""
    pos = rollout.joint[..., : effector.dof]
    lo = effector.pos_lower_bound.cpu().numpy()
    hi = effector.pos_upper_bound.cpu().numpy()
    hit = ((pos <= lo + tol) | (pos >= hi - tol)).any(axis=-1)  # (batch, T+1)
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    return np.where(first >= 0, rollout.time[np.maximum(first, 0)], np.nan)


def value_at(x: float, grid: np.ndarray | Sequence[float], curve: np.ndarray | Sequence[float]) -> float:
    """A curve sampled on an increasing ``grid``, read at ``x`` by linear interpolation.

    Chapter 1 reads the force-velocity curve this way at one optimal length per second, shortening
    and lengthening, to quote how much force a muscle keeps when it moves.
    """
    return float(np.interp(x, grid, curve))


def lateral_offset_cm(end: np.ndarray, reference_end: np.ndarray, reference_move: np.ndarray) -> float:
    """How far (cm) a hand ended from where a reference run ended, across the reference's movement.

    Positive to the left of ``reference_move`` (the reference's displacement, start to end), negative
    to the right: chapter 1's measure of which way a curl field pushes an open-loop movement.
    """
    direction = reference_move / np.linalg.norm(reference_move)
    left = np.array([-direction[1], direction[0]])
    return 100 * float((end - reference_end) @ left)
