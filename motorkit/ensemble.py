"""Ensembles: N networks of one shape trained together, in one compiled episode.

On two cores a training batch of 64 reaches pays a fixed cost per episode (compiled calls and autograd
bookkeeping) on top of its arithmetic. Networks that share a shape (:func:`shape_key`: the same effector,
width, batch size, episode and delays) can share that cost: their trials run side by side through one
closed loop (member-major: member 0's trials first), their weights stacked into batched matrix products
(:class:`StackedPolicy`). Members share no weights and no trial, so the sum of their losses gives each
member exactly its own gradient; :func:`motorkit.training.train_step` clips each member's gradient and
one Adam optimiser with a parameter group per member updates each exactly as a separate Adam would.

Everything else stays each member's own: its loss weights, force field and catch trials, interventions
(:class:`OnMember`), seed, random stream, initial weights, learning-rate schedule, evaluations,
checkpoints and model-cache entry (:func:`motorkit.training.train_together`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable, Sequence

import torch
from torch import nn

from motorkit.policy import GRUPolicy, Intervention, Steps

#: What the members of an ensemble must share: the closed loop they run in (effector, time step,
#: episode, delays, the task's schedule), the network's width, the batch and how the episode is run.
SHAPE: tuple[str, ...] = ("effector", "dt", "duration", "proprioception_delay", "vision_delay", "movement_time",
                          "hidden", "batch_size", "grad_clip", "unroll", "compile", "device", "workers")


def shape_key(config: Any) -> tuple[Hashable, ...]:
    """The part of a training configuration that networks trained together must share (:data:`SHAPE`)."""
    return tuple(getattr(config, name) for name in SHAPE)


def check_shapes(configs: Sequence[Any]) -> None:
    """Raise a one-line ValueError unless every configuration has the first one's shape."""
    first = shape_key(configs[0])
    for config in configs[1:]:
        differ = [name for name, a, b in zip(SHAPE, first, shape_key(config)) if a != b]
        if differ:
            raise ValueError(f"networks trained together must share {', '.join(differ)}: "
                             f"{', '.join(f'{n}={getattr(configs[0], n)!r} vs {getattr(config, n)!r}' for n in differ)}")


class StackedPolicy(nn.Module):
    """The GRU policies ``members`` run as one: member i reads rows ``i*B:(i+1)*B`` of every batch.

    The members' weights are stacked at every step and applied through batched matrix products
    (``torch.baddbmm``); the update is ``torch.nn.GRUCell``'s. (``torch.func.vmap`` over the cell would
    express the same, but torch has no batching rule for ``gru_cell``: it loops over the members and
    compiles for a minute.) One member runs its own module unchanged, so training one network alone
    computes exactly what it always did.
    """

    def __init__(self, members: Sequence[GRUPolicy]):
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one network")
        widths = {m.hidden_size for m in members}
        if len(widths) != 1:
            raise ValueError(f"networks trained together must have the same width, got {sorted(widths)}")
        self.members = nn.ModuleList(members)
        self.hidden_size = members[0].hidden_size

    def __len__(self) -> int:
        return len(self.members)

    def initial_hidden(self, batch_size: int) -> torch.Tensor:
        """Zeros (B, hidden) for all members' trials together."""
        return self.members[0].initial_hidden(batch_size)

    def _stacked(self, name: str) -> torch.Tensor:
        return torch.stack([m.get_parameter(name) for m in self.members])

    def forward(self, obs: torch.Tensor, h: torch.Tensor, hook: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One step of every member on its own rows (as :meth:`GRUPolicy.forward`)."""
        if len(self.members) == 1:
            return self.members[0](obs, h, hook)
        n = len(self.members)
        x, hs = obs.unflatten(0, (n, -1)), h.unflatten(0, (n, -1))
        gi = torch.baddbmm(self._stacked("gru.bias_ih")[:, None], x, self._stacked("gru.weight_ih").transpose(1, 2))
        gh = torch.baddbmm(self._stacked("gru.bias_hh")[:, None], hs, self._stacked("gru.weight_hh").transpose(1, 2))
        (i_r, i_z, i_n), (h_r, h_z, h_n) = gi.chunk(3, -1), gh.chunk(3, -1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        new = torch.tanh(i_n + r * h_n)
        h = (new + z * (hs - new)).flatten(0, 1)  # GRUCell's (1 - z) * n + z * h
        if hook is not None:
            h = hook(h)
        out = torch.baddbmm(self._stacked("readout.bias")[:, None], h.unflatten(0, (n, -1)),
                            self._stacked("readout.weight").transpose(1, 2))
        return torch.sigmoid(out.flatten(0, 1)), h


@dataclass
class OnMember(Intervention, register=False):
    """``intervention`` acting on member ``member``'s trials only, of ``members`` stacked member-major."""

    intervention: Intervention
    member: int
    members: int

    @property
    def site(self) -> str:  # type: ignore[override]
        return self.intervention.site

    @property
    def steps(self) -> Steps:  # type: ignore[override]
        return self.intervention.steps

    def window(self, n_steps: int) -> torch.Tensor:
        return self.intervention.window(n_steps)

    def series(self, n_steps: int) -> tuple[torch.Tensor, ...]:
        return self.intervention.series(n_steps)

    def change(self, h: torch.Tensor, *data: torch.Tensor) -> torch.Tensor:
        parts = list(h.unflatten(0, (self.members, -1)).unbind(0))
        parts[self.member] = self.intervention.change(parts[self.member], *data)
        return torch.cat(parts)

    def spec(self) -> dict[str, Any]:
        raise TypeError("an ensemble member's intervention is its own configuration's; it has no spec of its own")


def networks(policy: nn.Module) -> list[nn.Module]:
    """The networks a policy runs: an ensemble's members, or the policy itself."""
    return list(policy.members) if isinstance(policy, StackedPolicy) else [policy]


def member_interventions(per_member: Sequence[Sequence[Intervention]]) -> tuple[Intervention, ...]:
    """Every member's interventions, each on its member's trials only (one member: unchanged)."""
    if len(per_member) == 1:
        return tuple(per_member[0])
    n = len(per_member)
    return tuple(OnMember(iv, i, n) for i, ivs in enumerate(per_member) for iv in ivs)


def member_rows(members: int, size: int, part: slice = slice(None)) -> torch.Tensor:
    """The rows of a member-major batch of ``members`` x ``size`` trials that hold trials ``part`` of each."""
    return torch.arange(members * size).view(members, size)[:, part].reshape(-1)

