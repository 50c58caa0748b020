"""Policy: a GRU controller whose hidden state can be recorded and intervened on.

Initialisation follows MotorNet-family research recipes: Xavier input weights, orthogonal recurrent
weights, zero biases, and a readout bias of -5 so that muscles start almost silent (sigmoid(-5) ~ 0.007).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Sequence, Union

import torch
from torch import nn


class GRUPolicy(nn.Module):
    """One GRU layer and a sigmoid readout to muscle commands in [0, 1]."""

    def __init__(self, n_inputs: int, n_muscles: int, hidden: int = 64):
        super().__init__()
        if hidden < 1:
            raise ValueError(f"hidden units must be >= 1, got {hidden}")
        self.hidden_size = hidden
        self.gru = nn.GRUCell(n_inputs, hidden)
        self.readout = nn.Linear(hidden, n_muscles)
        nn.init.xavier_uniform_(self.gru.weight_ih)
        nn.init.orthogonal_(self.gru.weight_hh)
        nn.init.zeros_(self.gru.bias_ih)
        nn.init.zeros_(self.gru.bias_hh)
        nn.init.xavier_uniform_(self.readout.weight)
        nn.init.constant_(self.readout.bias, -5.0)

    def initial_hidden(self, batch_size: int) -> torch.Tensor:
        """The hidden state every trial starts from: zeros (B, hidden)."""
        return torch.zeros(batch_size, self.hidden_size, device=self.readout.weight.device)

    def forward(
        self, obs: torch.Tensor, h: torch.Tensor, hook: Callable[[torch.Tensor], torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: update the hidden state, let ``hook`` alter it, read out muscle commands."""
        h = self.gru(obs, h)
        if hook is not None:
            h = hook(h)
        return torch.sigmoid(self.readout(h)), h


#: The steps an intervention acts at: a slice (``slice(5, None)``: from step 5 on), or step numbers.
Steps = Union[Sequence[int], range, slice]


def step_window(steps: Steps, n_steps: int) -> torch.Tensor:
    """1 at the steps of ``steps``, 0 elsewhere (n_steps,)."""
    window = torch.zeros(n_steps)
    if isinstance(steps, slice):
        window[steps.start or 0:steps.stop] = 1.0
    else:
        chosen = [int(t) for t in steps if 0 <= int(t) < n_steps]
        window[chosen] = 1.0
    return window


def _steps_spec(steps: Steps) -> Any:
    if isinstance(steps, slice):
        return {"from": int(steps.start or 0), "to": None if steps.stop is None else int(steps.stop)}
    return [int(t) for t in steps]


def _steps_from_spec(spec: Any) -> Steps:
    return slice(spec["from"], spec["to"]) if isinstance(spec, dict) else [int(t) for t in spec]


#: Where in the closed loop's step an intervention acts (:attr:`Intervention.site`): the hidden state
#: (after the GRU update, before the readout), the target the network is shown (B, 2), what reaches the
#: eye of the hand's position (B, 2) and the proprioceptive signals (B, 2M) as they enter their delay
#: lines, and the external force at the hand (B, 2).
SITES: tuple[str, ...] = ("hidden", "target", "vision", "proprioception", "hand")

_KINDS: dict[str, type["Intervention"]] = {}


class Intervention:
    """A change to one signal of the closed loop at chosen steps: by default the hidden state, after the
    GRU update and before the readout; :attr:`site` says which signal (:data:`SITES`;
    :mod:`motorkit.perturbations` acts on the body and the senses).

    The closed loop (:class:`motorkit.closed_loop.EpisodeRunner`) applies every intervention the same
    way in training and in tests: at step ``t`` it calls ``apply(x, window[t], *(x[t] for x in series))``
    with :meth:`window` (1 where it acts) and :meth:`series` (per-step data, time first), so that one
    compiled graph serves every step. Subclasses say what the changed signal is (:meth:`change`), and
    :meth:`spec` describes them as JSON, so that a training configuration can hold them
    (``TrainConfig.interventions``) and a network can learn under them.
    """

    steps: Steps
    site: ClassVar[str] = "hidden"
    _tensors: tuple[str, ...] = ()

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        """Every kind is known to :func:`from_spec` by its class name (``register=False``: a wrapper)."""
        super().__init_subclass__(**kwargs)
        if register:
            _KINDS[cls.__name__] = cls

    def window(self, n_steps: int) -> torch.Tensor:
        """1 at the steps the intervention acts on, 0 elsewhere (n_steps,)."""
        return step_window(self.steps, n_steps)

    def series(self, n_steps: int) -> tuple[torch.Tensor, ...]:
        """Per-step data (each time first, ``n_steps`` long) that :meth:`change` receives one step of."""
        return ()

    def change(self, h: torch.Tensor, *data: torch.Tensor) -> torch.Tensor:
        """The signal (B, ...; the hidden state (B, H) by default) as the intervention makes it."""
        raise NotImplementedError

    def apply(self, h: torch.Tensor, on: torch.Tensor | float = 1.0, *data: torch.Tensor) -> torch.Tensor:
        """The signal after this step's intervention: :meth:`change` where ``on`` is 1, ``h`` where it is 0."""
        return torch.where(torch.as_tensor(on, device=h.device) > 0, self.change(h, *data), h)

    def check(self, hidden: int) -> None:
        """Raise a one-line ValueError if the intervention does not fit a network of ``hidden`` units."""

    def spec(self) -> dict[str, Any]:
        """The intervention as JSON-able data (:func:`from_spec` reads it back)."""
        out: dict[str, Any] = {"kind": type(self).__name__}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.name == "steps":
                value = _steps_spec(value)
            elif torch.is_tensor(value):
                value = value.tolist()
            elif isinstance(value, (tuple, list)):
                value = list(value)
            out[f.name] = value
        return out


def from_spec(spec: dict[str, Any]) -> Intervention:
    """The intervention that :meth:`Intervention.spec` described: any kind defined in a module imported
    so far (:mod:`motorkit.training` imports :mod:`motorkit.perturbations`'s)."""
    if spec.get("kind") not in _KINDS:
        raise ValueError(f"unknown intervention {spec.get('kind')!r}: choose one of {', '.join(_KINDS)}")
    cls = _KINDS[spec["kind"]]
    args = {k: v for k, v in spec.items() if k != "kind"}
    args["steps"] = _steps_from_spec(args["steps"])
    for name in cls._tensors:
        if args.get(name) is not None:
            args[name] = torch.tensor(args[name], dtype=torch.float32)
    return cls(**args)


@dataclass
class Perturb(Intervention):
    """Add ``offset`` ((n,) or (B, n)) to the signal at the chosen steps: on the hidden state (hidden,) or
    (B, hidden), a pulse; subclasses add it elsewhere (:mod:`motorkit.perturbations`)."""

    steps: Steps
    offset: torch.Tensor
    _tensors = ("offset",)

    def change(self, x: torch.Tensor, *data: torch.Tensor) -> torch.Tensor:
        return x + self.offset.to(x)


@dataclass
class Clamp(Intervention):
    """Hold chosen units at fixed values (0 = ablation) at the chosen steps."""

    steps: Steps
    units: Sequence[int]
    value: float = 0.0

    def change(self, h: torch.Tensor, *data: torch.Tensor) -> torch.Tensor:
        mask = torch.zeros(h.shape[-1], dtype=torch.bool, device=h.device)
        mask[list(self.units)] = True
        return torch.where(mask, torch.as_tensor(self.value, dtype=h.dtype, device=h.device), h)

    def check(self, hidden: int) -> None:
        if not all(0 <= int(u) < hidden for u in self.units):
            raise ValueError(f"clamped units must be in [0, {hidden}), got {list(self.units)}")


@dataclass
class ClampSubspace(Intervention):
    """Hold the projection of the hidden state on an orthonormal ``basis`` (k, hidden) at ``centre``'s.

    With ``centre`` the mean activity, this ablates those dimensions (e.g. principal components).
    """

    steps: Steps
    basis: torch.Tensor
    centre: torch.Tensor = field(default_factory=lambda: torch.zeros(()))
    _tensors = ("basis", "centre")

    def change(self, h: torch.Tensor, *data: torch.Tensor) -> torch.Tensor:
        q = self.basis.to(h)
        return h - ((h - self.centre.to(h)) @ q.T) @ q

    def check(self, hidden: int) -> None:
        basis = self.basis
        if basis.ndim != 2 or basis.shape[1] != hidden or self.centre.numel() not in (1, hidden):
            raise ValueError(f"the clamp's basis rows and centre must have {hidden} numbers (the hidden units)")
        if not torch.allclose(basis @ basis.T, torch.eye(len(basis)), atol=1e-4):
            raise ValueError("the clamp's basis rows must be orthonormal")


@dataclass
class Replace(Intervention):
    """Replace the hidden state by ``hidden`` (hidden,) or (B, hidden) at the chosen steps."""

    steps: Steps
    hidden: torch.Tensor
    _tensors = ("hidden",)

    def change(self, h: torch.Tensor, *data: torch.Tensor) -> torch.Tensor:
        return self.hidden.to(h).expand_as(h)


def _donor_series(states: torch.Tensor, n_steps: int) -> torch.Tensor:
    """A recorded (B, T+1, H) state sequence as what step t receives: the state after step t, time first."""
    if states.shape[1] < n_steps + 1:
        raise ValueError(f"the donor states cover {states.shape[1] - 1} steps, the episode has {n_steps}")
    return states[:, 1:n_steps + 1].transpose(0, 1)


@dataclass
class Transplant(Intervention):
    """Move the state, at every chosen step t, to where ``donor`` (B, T+1, H) was after its step t,
    along the orthonormal ``basis`` (k, H) only (None: the whole state)."""

    steps: Steps
    donor: torch.Tensor
    basis: torch.Tensor | None = None
    _tensors = ("donor", "basis")

    def series(self, n_steps: int) -> tuple[torch.Tensor, ...]:
        return (_donor_series(self.donor, n_steps),)

    def change(self, h: torch.Tensor, *data: torch.Tensor) -> torch.Tensor:
        target = data[0].to(h)
        if self.basis is None:
            return target
        q = self.basis.to(h)
        return h + ((target - h) @ q.T) @ q


@dataclass
class AddDifference(Intervention):
    """Add ``difference[:, t + 1]`` (B, T+1, H) to the hidden state at every chosen step t."""

    steps: Steps
    difference: torch.Tensor
    _tensors = ("difference",)

    def series(self, n_steps: int) -> tuple[torch.Tensor, ...]:
        return (_donor_series(self.difference, n_steps),)

    def change(self, h: torch.Tensor, *data: torch.Tensor) -> torch.Tensor:
        return h + data[0].to(h)
