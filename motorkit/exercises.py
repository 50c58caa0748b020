"""Runnable exercises: checks that tell a student what is right, which part is wrong, and where to look.

Every chapter ends with exercises of three cells each (book/conventions.md, "Exercises"):

* a **scaffold**, tagged ``exercise``, that defines a function whose body is ``...``;
* a **check**, ``exercises.check("2.1", endpoint_error_cm)``, which shows :class:`Feedback`;
* the **solution**, tagged ``solution`` (folded in the book, stripped from the student edition
  that ``python -m motorkit.publish student`` writes).

A check calls the student's function on inputs of its own (deterministic, realistic: reaches,
hidden states, learning curves), compares the result with motorkit's own computation, and says
either *correct*, or which part is wrong (with the number it expected and the one it got, and a
diagnosis when the answer matches a common mistake), or that the ``...`` is still to be filled in.
It never raises: an error in the student's code is reported in one line, without a traceback.

``python -m motorkit.exercises grade NOTEBOOK...`` runs the checks on filled-in notebooks: the
rubric of book/instructor_notes.md is built on it (:data:`POINTS`).
"""

from __future__ import annotations

import argparse
import html
import io
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

Status = Literal["correct", "incorrect", "error", "unanswered"]

#: Points per exercise in the course's rubric: correct 2; attempted (wrong, or raising) 1; untouched 0.
POINTS: dict[str, int] = {"correct": 2, "incorrect": 1, "error": 1, "unanswered": 0}
_LABELS: dict[str, str] = {"correct": "correct", "incorrect": "not yet right", "error": "your code raised an error",
                           "unanswered": "not answered yet"}
_COLOURS: dict[str, str] = {"correct": "#2e7d32", "incorrect": "#b26a00", "error": "#c62828", "unanswered": "#546e7a"}


@dataclass(frozen=True, repr=False)
class Feedback:
    """What a check found: its ``status``, a one-paragraph ``message``, the ``part`` that is wrong, a ``hint``."""

    exercise: str
    title: str
    status: Status
    message: str
    part: str = ""
    hint: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    @property
    def points(self) -> int:
        """Points in the rubric (:data:`POINTS`)."""
        return POINTS[self.status]

    def __str__(self) -> str:
        head = f"Exercise {self.exercise} ({self.title}): {_LABELS[self.status]}."
        lines = [head, (f"{self.part}: " if self.part else "") + self.message]
        if self.hint and not self.passed:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        part = f"<b>{_html(self.part)}</b>: " if self.part else ""
        hint = (f"<br><i>Hint:</i> {_html(self.hint)}" if self.hint and not self.passed else "")
        return (f'<div class="motorkit-feedback motorkit-feedback-{self.status}" style="border-left: 4px solid '
                f'{colour}; padding: 0.3em 0.8em; margin: 0.3em 0;"><b style="color: {colour}">Exercise '
                f"{html.escape(self.exercise)}, {html.escape(self.title)}: {_LABELS[self.status]}.</b><br>"
                f"{part}{_html(self.message)}{hint}</div>")


def _html(text: str) -> str:
    """``text`` escaped for HTML, with its `code` spans set as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id (``"chapter.number"``), title, the name the scaffold defines, a hint, its checker."""

    id: str
    title: str
    answer: str
    hint: str
    checker: Callable[[Any], str]

    @property
    def chapter(self) -> int:
        return int(self.id.split(".")[0])


#: Every exercise of the book, by id.
EXERCISES: dict[str, Exercise] = {}


class _Unanswered(Exception):
    """The scaffold's ``...`` is still there."""


class _Wrong(Exception):
    """A part of the answer is wrong: ``part``, then what is wrong about it."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part


class _Raised(Exception):
    """The student's function raised."""


def _exercise(id: str, title: str, answer: str, hint: str) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    """Register a checker: it raises :class:`_Wrong` on the first wrong part, else returns a success message."""
    def register(checker: Callable[[Any], str]) -> Callable[[Any], str]:
        EXERCISES[id] = Exercise(id, title, answer, hint, checker)
        return checker
    return register


def check(exercise: str, answer: Any) -> Feedback:
    """Check ``answer`` (the function the scaffold asks for) against exercise ``exercise``, e.g. ``"2.1"``."""
    if exercise not in EXERCISES:
        raise ValueError(f"no exercise {exercise!r}: choose one of {', '.join(EXERCISES)}")
    ex = EXERCISES[exercise]
    feedback = {"exercise": ex.id, "title": ex.title, "hint": ex.hint}
    try:
        if answer is Ellipsis or answer is None:
            raise _Unanswered(f"`{ex.answer}` is not defined yet: fill in the `...` in the cell above.")
        if not callable(answer):
            raise _Wrong("the answer", f"expected the function `{ex.answer}`, got {type(answer).__name__} {answer!r:.40}.")
        message = ex.checker(answer)
    except _Unanswered as exc:
        return Feedback(**feedback, status="unanswered", message=str(exc))
    except _Raised as exc:
        return Feedback(**feedback, status="error", message=str(exc))
    except _Wrong as exc:
        return Feedback(**feedback, status="incorrect", message=str(exc), part=exc.part)
    return Feedback(**feedback, status="correct", message=message)


# --------------------------------------------------------------------------------------------------
# What every checker uses


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, with the student's errors and a missing ``return`` turned into feedback."""
    name = getattr(fn, "__name__", "your function")
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):  # keep the check's output to the feedback alone
            result = fn(*args)
    except Exception as exc:  # noqa: BLE001 -- any error in student code becomes one line of feedback
        where = _line_of(exc)
        raise _Raised(f"`{name}` raised {type(exc).__name__}: {exc}{where}") from None
    if result is None or result is Ellipsis:
        raise _Unanswered(f"`{name}` returns nothing yet: replace the `...` with your code and `return` the result.")
    return result


def _line_of(exc: BaseException) -> str:
    """`` (line N of your cell)`` for the innermost frame of the student's code, if known."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(str(Path(__file__).parent)):
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" (line {line} of your cell)" if line is not None else ""


def _array(value: Any, part: str) -> np.ndarray:
    """``value`` as a float array (numpy, torch, lists and numbers accepted)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _Wrong(part, f"expected numbers, got {type(value).__name__} {value!r:.40}.") from None


def _show(x: np.ndarray) -> str:
    """A short, readable print of an array or number."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        return f"{float(x):.4g}"
    flat = x.ravel()
    items = ", ".join(f"{v:.4g}" for v in flat[:4])
    return f"[{items}{', ...' if flat.size > 4 else ''}]" + (f" (shape {x.shape})" if x.ndim > 1 else "")


def _expect(got: Any, want: Any, part: str, mistakes: Sequence[tuple[Any, str]] = (), rtol: float = 1e-5,
            atol: float = 1e-8) -> None:
    """Pass if ``got`` matches ``want``; else name the matching mistake, or say what differs."""
    got_a, want_a = _array(got, part), np.asarray(want, dtype=float)
    if got_a.shape == want_a.shape and np.allclose(got_a, want_a, rtol=rtol, atol=atol, equal_nan=True):
        return
    for variant, message in mistakes:
        variant = np.asarray(variant, dtype=float)
        if variant.size == got_a.size and np.allclose(got_a.ravel(), variant.ravel(), rtol=1e-4, atol=atol,
                                                      equal_nan=True):
            raise _Wrong(part, message)
    if got_a.shape != want_a.shape:
        raise _Wrong(part, f"expected an array of shape {want_a.shape}, got shape {got_a.shape}.")
    raise _Wrong(part, f"expected {_show(want_a)}, got {_show(got_a)}.")


def _reaches(n: int = 6, seed: int = 0, dt: float = 0.01, steps: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Made-up but realistic reaches: minimum-jerk paths of 10 cm bent sideways, hands settling near the target.

    Returns ``hand`` (n, steps + 1, 2) in m, ``velocity`` (same shape) in m/s, and ``target`` (n, 2).
    """
    from motorkit.metrics import minimum_jerk_speed

    rng = np.random.default_rng(seed)
    t = np.arange(steps + 1) * dt
    angle = rng.uniform(0, 2 * np.pi, n)
    start = rng.uniform(-0.05, 0.05, (n, 2)) + np.array([0.0, 0.45])
    direction = np.c_[np.cos(angle), np.sin(angle)]
    target = start + 0.1 * direction
    onset, duration = 0.15, 0.5
    along = np.cumsum(minimum_jerk_speed(t, onset, duration, 0.1)) * dt
    bump = np.sin(np.clip((t - onset) / duration, 0, 1) * np.pi)  # sideways bend, 0 at both ends
    bend = rng.uniform(-0.02, 0.02, n)
    left = np.c_[-direction[:, 1], direction[:, 0]]
    miss = rng.normal(0, 0.003, (n, 2))
    settle = np.clip((t - onset) / duration, 0, 1)[None, :, None]
    hand = (start[:, None] + along[None, :, None] * direction[:, None] + (bend[:, None] * bump)[..., None]
                 * left[:, None] + settle * miss[:, None])
    velocity = np.gradient(hand, dt, axis=1)
    return hand, velocity, target


# --------------------------------------------------------------------------------------------------
# Chapter 1: bodies


def _arm_postures() -> np.ndarray:
    """Shoulder and elbow angles (rad) inside the arm's joint limits, in several quadrants."""
    return np.radians([[30.0, 60.0], [60.0, 90.0], [90.0, 120.0], [10.0, 140.0], [120.0, 20.0]])


@_exercise("1.1", "where the hand is", "hand_position",
           "the forearm's angle in space is shoulder + elbow: the elbow angle is relative to the upper arm.")
def _check_hand_position(fn: Callable[..., Any]) -> str:
    from motorkit.bodies import make_effector
    import torch

    arm = make_effector("arm26")
    l1, l2 = float(arm.skeleton.L1), float(arm.skeleton.L2)
    for shoulder, elbow in _arm_postures():
        joint = torch.tensor([[shoulder, elbow, 0.0, 0.0]], dtype=torch.float32)
        want = arm.joint2cartesian(joint)[0, :2].double().numpy()
        got = _call(fn, float(shoulder), float(elbow), l1, l2)
        part = f"the hand at shoulder {np.degrees(shoulder):.0f}°, elbow {np.degrees(elbow):.0f}°"
        _expect(got, want, part, rtol=1e-4, atol=1e-5, mistakes=[
            ([l1 * np.cos(shoulder) + l2 * np.cos(elbow), l1 * np.sin(shoulder) + l2 * np.sin(elbow)],
             "the forearm points along the elbow angle alone; it points along shoulder + elbow."),
            ([l1 * np.sin(shoulder) + l2 * np.sin(shoulder + elbow), l1 * np.cos(shoulder) + l2 * np.cos(shoulder + elbow)],
             "x and y are swapped: angles are measured from the +x axis, so x uses cos and y uses sin."),
            ([l1 * np.cos(np.degrees(shoulder)) + l2 * np.cos(np.degrees(shoulder + elbow)),
              l1 * np.sin(np.degrees(shoulder)) + l2 * np.sin(np.degrees(shoulder + elbow))],
             "the angles are already in radians; numpy's cos and sin take radians."),
        ])
    return (f"your hand positions match motornet's `joint2cartesian` in {len(_arm_postures())} postures "
            "(to 0.01 mm).")


@_exercise("1.2", "torques from a force at the hand", "joint_torques",
           "the torque is J^T F, with J the 2x2 Jacobian d(x, y)/d(shoulder, elbow): differentiate your "
           "hand_position by each angle.")
def _check_joint_torques(fn: Callable[..., Any]) -> str:
    from motorkit import effectors as fx
    from motorkit.bodies import make_effector
    import torch

    arm = make_effector("arm26")
    l1, l2 = float(arm.skeleton.L1), float(arm.skeleton.L2)
    forces = np.array([[5.0, 0.0], [0.0, 5.0], [-3.0, 4.0], [2.0, -6.0], [1.0, 1.0]])
    postures = _arm_postures()
    _, tau = fx.endpoint_load_torques(arm, torch.tensor(postures, dtype=torch.float32),
                                      torch.tensor(forces, dtype=torch.float32))
    jac = fx.hand_jacobian(arm, torch.tensor(postures, dtype=torch.float32)).double().numpy()
    for (shoulder, elbow), force, want, j in zip(postures, forces, tau.double().numpy(), jac):
        got = _call(fn, float(shoulder), float(elbow), l1, l2, force.copy())
        part = f"a force of ({force[0]:g}, {force[1]:g}) N at shoulder {np.degrees(shoulder):.0f}°, elbow {np.degrees(elbow):.0f}°"
        _expect(got, want, part, rtol=1e-3, atol=1e-4, mistakes=[
            (j @ force, "that is J F; the torque is J^T F (the transpose maps forces at the hand to torques)."),
            (-want, "the sign is flipped: a force at the hand produces the torque +J^T F."),
        ])
    return "your torques match the ones motornet's arm feels (J^T F) for five forces and postures."


# --------------------------------------------------------------------------------------------------
# Chapter 2: reaching


@_exercise("2.1", "the endpoint error", "endpoint_error_cm",
           "keep the last round(0.1 / dt) steps of each trial, take the hand-target distance at each, "
           "average, and convert metres to centimetres.")
def _check_endpoint_error(fn: Callable[..., Any]) -> str:
    from motorkit.metrics import endpoint_error

    hand, _, target = _reaches()
    dt = 0.01
    want = 100 * endpoint_error(hand, target, dt)
    distance = np.linalg.norm(hand - target[:, None], axis=-1)
    got = _call(fn, hand.copy(), target.copy(), dt)
    _expect(got, want, "the endpoint error of six reaches", mistakes=[
        (want / 100, "these are metres; the endpoint error is quoted in centimetres."),
        (100 * distance[:, -1], "that is the distance at the last step only; average over the last 100 ms."),
        (100 * distance.mean(axis=1), "that is the distance averaged over the whole reach; keep the last 100 ms."),
        (100 * distance[:, -11:].mean(axis=1), "one step too many: the last 100 ms are round(0.1 / dt) = 10 steps."),
        (100 * np.full(len(want), distance[:, -10:].mean()), "that is the mean over all trials; return one error per trial."),
    ])
    got = _call(fn, hand[:, ::2].copy(), target.copy(), 2 * dt)
    _expect(got, 100 * endpoint_error(hand[:, ::2], target, 2 * dt), "the same reaches sampled every 20 ms",
            mistakes=[(100 * np.linalg.norm(hand[:, ::2][:, -10:] - target[:, None], axis=-1).mean(axis=1),
                       "the number of steps in 100 ms depends on dt: use round(0.1 / dt), not a fixed 10.")])
    return "your endpoint errors match `metrics.endpoint_error` (book/conventions.md), at two time steps."


@_exercise("2.2", "the minimum-jerk speed profile", "minimum_jerk_speed",
           "with s = (t - onset) / duration, the speed is 30 s² (1 - s)² distance / duration for s in [0, 1], "
           "and 0 before and after.")
def _check_minimum_jerk(fn: Callable[..., Any]) -> str:
    from motorkit.metrics import minimum_jerk_speed

    t = np.arange(101) * 0.01
    for onset, duration, distance in ((0.2, 0.5, 0.1), (0.0, 0.8, 0.25)):
        want = minimum_jerk_speed(t, onset, duration, distance)
        s = (t - onset) / duration
        bell = 30 * s**2 * (1 - s) ** 2 * distance / duration
        got = _call(fn, t.copy(), onset, duration, distance)
        part = f"a {100 * distance:g} cm reach of {1000 * duration:g} ms starting at {1000 * onset:g} ms"
        _expect(got, want, part, atol=1e-9, mistakes=[
            (bell, "outside the movement (s < 0 or s > 1) the hand is still: the speed must be 0 there."),
            (30 * s**2 * (1 - s) ** 2, "the bell must scale with distance / duration (a longer reach is faster)."),
            (np.where((s > 0) & (s < 1), 30 * s**2 * (1 - s) ** 2 * distance, 0.0),
             "divide by the duration: speed is distance per time."),
        ])
    peak = float(np.max(minimum_jerk_speed(np.linspace(0, 1, 1001), 0, 1, 1)))
    return (f"your profile matches Flash & Hogan's minimum-jerk bell; its peak is {peak:.3f} times the mean speed, "
            "the 1.875 of book/conventions.md.")


# --------------------------------------------------------------------------------------------------
# Chapter 3: adaptation


@_exercise("3.1", "the curl field's force", "curl_force",
           "clockwise: F = k (v_y, -v_x); counter-clockwise: the opposite. A rightward movement in CW is "
           "pushed towards -y.")
def _check_curl_force(fn: Callable[..., Any]) -> str:
    from motorkit.fields import ForceField

    velocity = np.array([[0.5, 0.0], [0.0, 0.5], [-0.3, 0.2], [0.1, -0.4]])
    for field in ("cw", "ccw"):
        for k in (8.0, 15.0):
            want = ForceField(field, k).force(velocity).double().numpy()
            got = _call(fn, velocity.copy(), k, field)
            _expect(got, want, f"the {field.upper()} field at k = {k:g} N·s/m", mistakes=[
                (-want, f"the direction is flipped: in {field.upper()} a rightward movement is pushed "
                        f"{'down (-y)' if field == 'cw' else 'up (+y)'}."),
                (want / k, "the force grows with the strength k: multiply by k."),
                (k * velocity, "a curl field pushes perpendicular to the velocity, not along it."),
            ])
    return "your forces match `fields.ForceField.force` for both directions and two strengths."


@_exercise("3.2", "the signed lateral deviation", "lateral_deviation_cm",
           "project each point of the path, relative to its start, on the left normal (-u_y, u_x) of the "
           "start-to-target direction u; keep the projection of largest size, with its sign.")
def _check_lateral_deviation(fn: Callable[..., Any]) -> str:
    from motorkit.metrics import lateral_deviation

    hand, _, target = _reaches(seed=3)
    want = 100 * lateral_deviation(hand, target)
    got = _call(fn, hand.copy(), target.copy())
    start = hand[:, 0]
    u = (target - start) / np.linalg.norm(target - start, axis=-1, keepdims=True)
    perp = np.einsum("btk,bk->bt", hand - start[:, None], np.c_[-u[:, 1], u[:, 0]])
    _expect(got, want, "the deviation of six bent reaches", mistakes=[
        (-want, "the sign is flipped: book/conventions.md counts deviations to the LEFT of the movement as positive."),
        (np.abs(want), "keep the sign: it says whether the path bent left (+) or right (-)."),
        (want / 100, "these are metres; the deviation is quoted in centimetres."),
        (100 * perp[:, -1], "that is the deviation at the end of the reach; take the largest along the path."),
        (100 * perp.max(axis=1), "that is the largest deviation to the left; take the largest in size, either side."),
    ])
    return "your deviations match `metrics.lateral_deviation` (sign and size)."


# --------------------------------------------------------------------------------------------------
# Chapter 4: loss analysis


def _loss_curve(n: int = 120, seed: int = 0) -> np.ndarray:
    """A made-up training loss: a jump, an exponential fall, noise and a late bump (cm)."""
    rng = np.random.default_rng(seed)
    b = np.arange(n)
    loss = 2.0 + 6.0 * np.exp(-b / 25.0) + 1.5 * np.exp(-((b - 5) / 3.0) ** 2) + 0.6 * np.exp(-((b - 80) / 6.0) ** 2)
    return loss * np.exp(rng.normal(0, 0.08, n))


@_exercise("4.1", "a trailing moving average", "moving_average",
           "element i is the mean of values[i : i + window], so the result has len(values) - window + 1 points "
           "(np.convolve with mode='valid' does it in one line).")
def _check_moving_average(fn: Callable[..., Any]) -> str:
    from motorkit.sweeps import moving_average

    loss = _loss_curve()
    for window in (20, 1, 7):
        want = moving_average(loss, window)
        got = _call(fn, loss.copy(), window)
        mistakes = [(np.convolve(loss, np.ones(window) / window, "same"),
                     "the result has as many points as the loss; a trailing average has len(values) - window + 1."),
                    (moving_average(loss, window, centred=True),
                     "that is a centred average; the trailing one averages values[i : i + window].")]
        if window > 1:
            mistakes.append((moving_average(loss, window - 1)[:-1] if window > 2 else loss[:-1],
                             "the window is one point too short: values[i : i + window] holds `window` points."))
        _expect(got, want, f"a window of {window}", mistakes=mistakes)
    return "your average matches `sweeps.moving_average` for windows of 20, 1 and 7 batches."


@_exercise("4.2", "the largest rise of a falling loss", "largest_rise",
           "the running minimum is np.minimum.accumulate(smooth); the rise is smooth minus it; divide the "
           "largest rise by the drop from the first point to the last.")
def _check_largest_rise(fn: Callable[..., Any]) -> str:
    from motorkit.sweeps import decrease_summary, moving_average

    for seed, window in ((0, 20), (1, 10)):
        loss = _loss_curve(seed=seed)
        smooth = moving_average(loss, window)
        want = decrease_summary(loss, window)["largest_rise"]
        drop = smooth[0] - smooth[-1]
        got = _call(fn, smooth.copy())
        _expect(got, want, f"the {window}-batch average of a loss curve", mistakes=[
            (float(np.max(smooth - np.minimum.accumulate(smooth))),
             "divide by the total drop (first point minus last): the rise is a fraction of the drop."),
            ((smooth.max() - smooth.min()) / drop,
             "max - min is not a rise: measure how far the curve climbs above its lowest value so far."),
            (float(np.max(np.diff(smooth))) / drop,
             "that is the largest one-batch step; a rise can build over many batches."),
        ])
    falling = np.linspace(5.0, 1.0, 30)
    _expect(_call(fn, falling), 0.0, "a curve that only falls", mistakes=[])
    return "your measure matches `sweeps.decrease_summary`'s largest_rise, and is 0 for a curve that never rises."


# --------------------------------------------------------------------------------------------------
# Chapter 5: hidden states


def _hidden(n: int = 200, units: int = 12, seed: int = 0) -> np.ndarray:
    """Made-up hidden states: a few strong latent dimensions plus noise, not centred (n, units)."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3)) * np.array([3.0, 1.5, 0.7])
    return latent @ rng.normal(size=(3, units)) + 0.2 * rng.normal(size=(n, units)) + rng.normal(size=units)


@_exercise("5.1", "how many components", "components_for",
           "np.cumsum(ratios) is the variance explained by the first 1, 2, ... components; count how many "
           "you need to reach the fraction (np.searchsorted gives an index: add 1).")
def _check_components_for(fn: Callable[..., Any]) -> str:
    ratios = np.array([0.52, 0.25, 0.12, 0.05, 0.03, 0.02, 0.01])
    cases = ((0.9, 4), (0.5, 1), (0.8, 3), (0.95, 5))
    for fraction, want in cases:
        cumulative = np.cumsum(ratios)
        got = _call(fn, ratios.copy(), fraction)
        _expect(got, want, f"{fraction:.0%} of the variance", mistakes=[
            (int(np.searchsorted(cumulative, fraction)), "that is an index; the number of components is one more."),
            (int(np.sum(cumulative < fraction)), "one short: the last component you count must bring the total "
                                                  "to the fraction or above."),
        ])
    return "you count components the way chapter 5 does (variance explained reaches the fraction)."


@_exercise("5.2", "projecting on the principal components", "project",
           "subtract the mean of the data the PCA was fitted on, then take the dot product with each component "
           "(the rows of components): (hidden - mean) @ components.T.")
def _check_project(fn: Callable[..., Any]) -> str:
    from sklearn.decomposition import PCA

    hidden = _hidden()
    pca = PCA(n_components=3).fit(hidden)
    new = _hidden(n=20, seed=1)
    want = pca.transform(new)
    got = _call(fn, new.copy(), pca.mean_.copy(), pca.components_.copy())
    _expect(got, want, "20 states on the top 3 components", rtol=1e-6, atol=1e-9, mistakes=[
        (new @ pca.components_.T, "centre first: subtract the mean of the data the PCA was fitted on."),
        ((new - new.mean(axis=0)) @ pca.components_.T,
         "centre with the PCA's own mean (fitted data), not the mean of the states you project."),
    ])
    return "your projection matches scikit-learn's `PCA.transform` (what `analysis.project` uses)."


# --------------------------------------------------------------------------------------------------
# Chapter 6: interventions


def _orthonormal(k: int, units: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(units, k)))
    return q.T


@_exercise("6.1", "holding a direction at its mean", "hold",
           "remove the part of h - centre that lies in the subspace: h - ((h - centre) @ basis.T) @ basis.")
def _check_hold(fn: Callable[..., Any]) -> str:
    import torch

    from motorkit.policy import ClampSubspace

    h = _hidden(n=16, units=10, seed=2)
    centre = _hidden(n=50, units=10, seed=2).mean(axis=0)
    for k in (1, 3):
        basis = _orthonormal(k, 10, seed=k)
        clamp = ClampSubspace(steps=slice(None), basis=torch.tensor(basis), centre=torch.tensor(centre))
        want = clamp.apply(torch.tensor(h)).numpy()
        got = _call(fn, h.copy(), basis.copy(), centre.copy())
        _expect(got, want, f"16 states, {k} direction{'s' if k > 1 else ''} held", rtol=1e-6, atol=1e-9, mistakes=[
            (h - (h @ basis.T) @ basis, "that holds the directions at 0; hold them at the centre's value."),
            (((h - centre) @ basis.T) @ basis, "that is the part you remove; return the state without it."),
            (h - ((h - centre) @ basis.T) @ basis - centre, "keep the state's own values outside the held directions."),
        ])
    return "your clamp matches `policy.ClampSubspace`: the held directions read the centre, the rest is untouched."


@_exercise("6.2", "a random direction as a control", "random_direction",
           "draw a Gaussian vector with np.random.default_rng(seed), subtract its projection on the rows of "
           "basis (v - basis.T @ (basis @ v)), and divide by its norm.")
def _check_random_direction(fn: Callable[..., Any]) -> str:
    basis = _orthonormal(3, 20, seed=4)
    first = _array(_call(fn, basis.copy(), 0), "the direction for seed 0")
    if first.shape != (20,):
        raise _Wrong("the direction for seed 0", f"expected a vector of shape (20,), got shape {first.shape}.")
    norm = float(np.linalg.norm(first))
    if not math.isclose(norm, 1.0, rel_tol=1e-6):
        raise _Wrong("its length", f"a direction is a unit vector; yours has length {norm:.4g}.")
    overlap = float(np.max(np.abs(basis @ first)))
    if overlap > 1e-6:
        raise _Wrong("orthogonality", f"it overlaps the top PCs (largest dot product {overlap:.3g}); "
                                      "subtract its projection on them before normalising.")
    again = _array(_call(fn, basis.copy(), 0), "the direction for seed 0, drawn again")
    if not np.allclose(again, first):
        raise _Wrong("reproducibility", "the same seed gave another direction: draw from np.random.default_rng(seed).")
    others = [_array(_call(fn, basis.copy(), s), f"the direction for seed {s}") for s in (1, 2)]
    if any(np.allclose(np.abs(o @ first), 1.0) for o in others):
        raise _Wrong("randomness", "another seed gave the same direction: the control must be random.")
    return "your directions are unit vectors, orthogonal to the top PCs, reproducible and random."


# --------------------------------------------------------------------------------------------------
# Chapter 7: generalization


@_exercise("7.1", "the angle to the trained direction", "angular_distance",
           "subtract, then wrap into (-180, 180]: (d - trained + 180) % 360 - 180, with -180 turned into 180.")
def _check_angular_distance(fn: Callable[..., Any]) -> str:
    from motorkit.generalization import angular_distance

    directions = np.arange(0.0, 360.0, 45.0)
    for trained in (0.0, 90.0, 315.0):
        want = angular_distance(directions, trained)
        raw = directions - trained
        got = _call(fn, directions.copy(), trained)
        _expect(got, want, f"the eight test directions around {trained:g}°", mistakes=[
            (raw, "wrap the difference into (-180°, 180°]: 315° away is -45° away."),
            (raw % 360, "wrap into (-180°, 180°], not [0°, 360°): a direction 45° clockwise is -45°."),
            (np.abs(want), "keep the sign: counter-clockwise of the trained direction is +, clockwise is -."),
            (-want, "the sign is flipped: the angle goes from the trained direction to the tested one."),
            (np.where(want == 180.0, -180.0, want), "the opposite direction is +180°, not -180°: the range is (-180°, 180°]."),
        ])
    return "your distances match `generalization.angular_distance`."


@_exercise("7.2", "the half-width of a generalization function", "half_width",
           "average the two sides: for each |distance| the mean of the values there; find the first one "
           "below 0.5 and interpolate linearly between it and the one before.")
def _check_half_width(fn: Callable[..., Any]) -> str:
    from motorkit.generalization import by_distance, half_width

    distances = np.array([-135.0, -90.0, -45.0, 0.0, 45.0, 90.0, 135.0, 180.0])
    cases = {"a narrow function": np.array([0.05, 0.1, 0.35, 1.0, 0.45, 0.05, 0.0, 0.1]),
             "a wide one": np.array([0.2, 0.6, 0.85, 1.0, 0.95, 0.7, 0.3, 0.15]),
             "an asymmetric one": np.array([0.0, 0.2, 0.9, 1.0, 0.3, 0.1, 0.0, 0.2])}
    for part, values in cases.items():
        want = half_width(distances, values)
        grid, sides = by_distance(np.abs(distances), values)
        below = int(np.flatnonzero(sides < 0.5)[0])
        positive = distances >= 0
        right = half_width(distances[positive], values[positive])  # one side only, not averaged
        got = _call(fn, distances.copy(), values.copy())
        _expect(got, want, part, rtol=1e-6, mistakes=[
            (grid[below], "interpolate between the last point above 0.5 and the first below it."),
            (right, "that is the half-width of the positive side only; average both sides at each distance first."),
        ])
    never = _call(fn, distances.copy(), np.ones(8))
    _expect(never, math.inf, "a function that never falls to 0.5", mistakes=[
        (180.0, "it never falls to half: return inf (math.inf), not the widest angle.")])
    return "your half-widths match `generalization.half_width`, including inf when the function never halves."


# --------------------------------------------------------------------------------------------------
# Chapter 8: savings


@_exercise("8.1", "batches to criterion", "batches_to_criterion",
           "find the first point at or below the criterion; between it and the point before, interpolate the "
           "batch linearly; return nan if the curve never gets there.")
def _check_batches_to_criterion(fn: Callable[..., Any]) -> str:
    from motorkit.sweeps import first_crossing

    batches = np.arange(1, 51, 2, dtype=float)
    error = 1.0 + 4.0 * np.exp(-(batches - 1) / 12.0)
    for criterion in (1.5, 3.0, 5.0):
        want = first_crossing(batches, error, criterion)
        i = int(np.flatnonzero(error <= criterion)[0])
        got = _call(fn, batches.copy(), error.copy(), criterion)
        _expect(got, want, f"a criterion of {criterion:g} cm", rtol=1e-6, mistakes=[
            (batches[i], "interpolate: the curve crosses the criterion between two measured batches."),
            (float(i), "that is an index into the arrays; return the batch (batches[i], interpolated)."),
        ])
    got = _call(fn, batches.copy(), error.copy(), 0.5)
    got_a = _array(got, "a criterion never reached")
    if not (got_a.shape == () and np.isnan(got_a)):
        raise _Wrong("a criterion never reached", f"expected nan (the block never got there), got {_show(got_a)}.")
    return "your crossing matches `savings.batches_to_criterion` (interpolated; nan when never reached)."


@_exercise("8.2", "the two-state model", "two_state",
           "compute the error e = f - (x_fast + x_slow) with the states before the update, then update both: "
           "x <- a x + b e. Record the states after each update.")
def _check_two_state(fn: Callable[..., Any]) -> str:
    from motorkit.savings import SMITH_2006, TwoState

    schedule = np.r_[np.zeros(20), np.ones(150), np.zeros(30), np.ones(60)]
    for part, model in (("Smith et al. (2006)'s parameters", SMITH_2006),
                        ("the chapter's fitted parameters", TwoState(0.52, 0.17, 0.978, 0.060))):
        want_fast, want_slow = model.simulate(schedule)
        got = _call(fn, schedule.copy(), model.a_fast, model.b_fast, model.a_slow, model.b_slow)
        if not (isinstance(got, (tuple, list, np.ndarray)) and len(got) == 2):
            raise _Wrong(part, "return two arrays: the fast states and the slow states, one value per batch.")
        sequential_fast, sequential_slow, xf, xs = [], [], 0.0, 0.0
        for f in schedule:
            xf = model.a_fast * xf + model.b_fast * (f - xf - xs)
            xs = model.a_slow * xs + model.b_slow * (f - xf - xs)
            sequential_fast.append(xf)
            sequential_slow.append(xs)
        _expect(got[1], want_slow, f"the slow state, {part}", rtol=1e-6, atol=1e-9, mistakes=[
            (want_fast, "fast and slow are swapped: return (fast, slow)."),
            (sequential_slow, "the slow process must see the same error as the fast one, computed before either "
                              "state is updated."),
        ])
        _expect(got[0], want_fast, f"the fast state, {part}", rtol=1e-6, atol=1e-9)
    return "your model matches `savings.TwoState.simulate` with Smith et al.'s and the chapter's parameters."


# --------------------------------------------------------------------------------------------------
# Grading filled-in notebooks


def exercise_cells(notebook: dict[str, Any], tag: str = "exercise") -> list[tuple[str, str]]:
    """``(exercise id, source)`` of a notebook's cells tagged ``tag`` (``exercise``: scaffolds; ``solution``)."""
    cells = []
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {})
        if cell.get("cell_type") == "code" and tag in meta.get("tags", []):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            cells.append((str(meta.get("exercise", "")), source))
    return cells


def run_cell(exercise: str, source: str) -> Feedback:
    """Run one exercise cell's ``source`` on its own (numpy as ``np`` and torch available) and check it."""
    if exercise not in EXERCISES:
        raise ValueError(f"a cell names no known exercise ({exercise!r}): give it metadata {{'exercise': 'N.M'}}")
    import torch

    namespace: dict[str, Any] = {"np": np, "torch": torch, "__name__": "__exercise__"}
    lines = [line for line in source.splitlines() if not line.lstrip().startswith("exercises.check(")]
    try:
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            exec(compile("\n".join(lines), f"<exercise {exercise}>", "exec"), namespace)  # noqa: S102
    except Exception as exc:  # noqa: BLE001 -- a cell that does not run earns the rubric's "error"
        ex = EXERCISES[exercise]
        return Feedback(ex.id, ex.title, "error", f"the cell raised {type(exc).__name__}: {exc}", hint=ex.hint)
    return check(exercise, namespace.get(EXERCISES[exercise].answer))


def grade(path: str | Path) -> list[Feedback]:
    """Check every exercise of a filled-in notebook, each cell run on its own, in the book's order."""
    notebook = json.loads(Path(path).read_text())
    return [run_cell(exercise, source) for exercise, source in exercise_cells(notebook)]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m motorkit.exercises``: ``list`` the exercises, or ``grade`` filled-in notebooks."""
    parser = argparse.ArgumentParser(prog="python -m motorkit.exercises", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every exercise, by chapter")
    grader = sub.add_parser("grade", help="check the exercises of filled-in notebooks (the rubric's points)")
    grader.add_argument("notebooks", nargs="+", type=Path)
    grader.add_argument("--json", action="store_true", help="one JSON object per notebook")
    args = parser.parse_args(argv)
    if args.command == "list":
        for ex in EXERCISES.values():
            print(f"{ex.id:>4}  {ex.title}  (define `{ex.answer}`)")
        return 0
    for path in args.notebooks:
        if not path.is_file():
            print(f"{path}: no such notebook", file=sys.stderr)
            return 2
        results = grade(path)
        points, best = sum(f.points for f in results), 2 * len(results)
        if args.json:
            print(json.dumps({"notebook": str(path), "points": points, "out_of": best,
                              "exercises": [{"id": f.exercise, "status": f.status, "points": f.points,
                                             "part": f.part, "message": f.message} for f in results]}))
            continue
        print(f"{path}: {points} / {best} points")
        for f in results:
            detail = f"{f.part}: {f.message}" if f.part else f.message
            print(f"  {f.exercise:>4} {f.status:<10} {f.points}  {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
