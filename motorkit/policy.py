"""Policy: a GRU controller whose hidden state can be recorded and intervened on.

Initialisation follows MotorNet-family research recipes: Xavier input weights, orthogonal recurrent
weights, zero biases, and a readout bias of -5 so that muscles start almost silent (sigmoid(-5) ~ 0.007).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from torch import nn

#: A hook that may replace the hidden state at step ``t``: ``hook(t, h) -> h``.
HiddenHook = Callable[[int, torch.Tensor], torch.Tensor]


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


def _steps_mask(steps: Sequence[int] | range | slice) -> Callable[[int], bool]:
    if isinstance(steps, slice):
        start, stop = steps.start or 0, steps.stop
        return lambda t: t >= start and (stop is None or t < stop)
    chosen = set(int(s) for s in steps)
    return lambda t: t in chosen


@dataclass
class Perturb:
    """Add ``delta`` (hidden,) or (B, hidden) to the hidden state at the chosen steps (a pulse)."""

    steps: Sequence[int] | range | slice
    delta: torch.Tensor

    def __call__(self, t: int, h: torch.Tensor) -> torch.Tensor:
        return h + self.delta.to(h) if _steps_mask(self.steps)(t) else h


@dataclass
class Clamp:
    """Hold chosen units at fixed values (0 = ablation) at the chosen steps."""

    steps: Sequence[int] | range | slice
    units: Sequence[int]
    value: float | torch.Tensor = 0.0

    def __call__(self, t: int, h: torch.Tensor) -> torch.Tensor:
        if not _steps_mask(self.steps)(t):
            return h
        h = h.clone()
        h[:, list(self.units)] = torch.as_tensor(self.value, dtype=h.dtype)
        return h


@dataclass
class ClampSubspace:
    """Hold the projection of the hidden state on an orthonormal ``basis`` (k, hidden) at ``centre``.

    With ``centre`` the mean activity, this ablates those dimensions (e.g. principal components).
    """

    steps: Sequence[int] | range | slice
    basis: torch.Tensor
    centre: torch.Tensor = field(default_factory=lambda: torch.zeros(()))

    def __call__(self, t: int, h: torch.Tensor) -> torch.Tensor:
        return self.apply(h) if _steps_mask(self.steps)(t) else h

    def apply(self, h: torch.Tensor, on: torch.Tensor | float = 1.0) -> torch.Tensor:
        """The clamped state; ``on`` (a 0/1 tensor of :meth:`window` inside compiled training) switches it."""
        q = self.basis.to(h)
        return h - on * (((h - self.centre.to(h)) @ q.T) @ q)

    def window(self, n_steps: int) -> torch.Tensor:
        """1 at the steps the clamp acts on, 0 elsewhere (n_steps,): what training passes to :meth:`apply`."""
        acts = _steps_mask(self.steps)
        return torch.tensor([float(acts(t)) for t in range(n_steps)])


@dataclass
class Replace:
    """Replace the hidden state by ``hidden`` (B, hidden) or by ``fn(t, h)`` at the chosen steps."""

    steps: Sequence[int] | range | slice
    hidden: torch.Tensor | HiddenHook

    def __call__(self, t: int, h: torch.Tensor) -> torch.Tensor:
        if not _steps_mask(self.steps)(t):
            return h
        return self.hidden(t, h) if callable(self.hidden) else self.hidden.to(h).expand_as(h)


def compose(interventions: Sequence[HiddenHook], t: int) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """The hook for step ``t`` that applies every intervention in order (None when there are none)."""
    if not interventions:
        return None

    def hook(h: torch.Tensor) -> torch.Tensor:
        for intervention in interventions:
            h = intervention(t, h)
        return h

    return hook
