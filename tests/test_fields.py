"""Curl-field signs are pinned (book/conventions.md): CW pushes a rightward movement towards -y."""

from __future__ import annotations

import pytest
import torch

from motorkit.effectors import make_effector
from motorkit.fields import FieldBatch, ForceField, endpoint_force


def test_curl_field_signs() -> None:
    rightward = torch.tensor([[1.0, 0.0]])
    upward = torch.tensor([[0.0, 1.0]])
    cw = ForceField("cw", 8.0).trial_matrices(1)
    ccw = ForceField("ccw", 8.0).trial_matrices(1)
    torch.testing.assert_close(endpoint_force(cw, rightward), torch.tensor([[0.0, -8.0]]))
    torch.testing.assert_close(endpoint_force(cw, upward), torch.tensor([[8.0, 0.0]]))  # F = k [v_y, -v_x]
    torch.testing.assert_close(endpoint_force(ccw, rightward), torch.tensor([[0.0, 8.0]]))
    assert torch.all(endpoint_force(ForceField("null").trial_matrices(1), rightward) == 0)


def test_cw_field_rotates_a_moving_point_mass_clockwise() -> None:
    effector = make_effector("pointmass")
    effector.reset(options={"batch_size": 1, "joint_state": torch.tensor([[0.0, 0.0, 1.0, 0.0]])})
    matrices = ForceField("cw", 10.0).trial_matrices(1)  # turns 0.1 rad per 10 ms step
    for _ in range(5):
        load = endpoint_force(matrices, effector.states["cartesian"][:, 2:])
        effector.step(torch.zeros(1, 4), endpoint_load=load)
    vx, vy = effector.states["cartesian"][0, 2:].tolist()
    assert vy < 0 < vx  # heading turned clockwise: right and down


def test_catch_trials() -> None:
    field = ForceField("cw", 8.0, catch_fraction=0.5)
    mats = field.trial_matrices(2000, torch.Generator().manual_seed(0))
    off = (mats.abs().sum(dim=(1, 2)) == 0).float().mean().item()
    assert 0.45 < off < 0.55
    assert torch.all(field.trial_matrices(4, catch=True) == 0)


@pytest.mark.parametrize("kwargs", [{"kind": "sideways"}, {"kind": "cw", "strength": -1.0},
                                    {"kind": "cw", "catch_fraction": 1.5}])
def test_bad_fields_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        ForceField(**kwargs)


def test_force_is_the_per_trial_force_of_the_same_velocities() -> None:
    velocity = torch.tensor([[1.0, 0.0], [0.3, -0.2], [0.0, 0.5]])
    field = ForceField("ccw", 12.0)
    torch.testing.assert_close(field.force(velocity), endpoint_force(field.trial_matrices(3), velocity))
    torch.testing.assert_close(field.force(velocity.numpy()), field.force(velocity))  # numpy in, same force
    assert field.describe() == {"field": "ccw", "strength": 12.0}


def test_field_batch_puts_each_strength_on_its_own_trials() -> None:
    batch = FieldBatch.strengths("cw", [0.0, 4.0, 8.0], trials_each=2)
    mats = batch.trial_matrices(6)
    for i, k in enumerate([0.0, 0.0, 4.0, 4.0, 8.0, 8.0]):
        torch.testing.assert_close(mats[i], ForceField("cw", k).matrix())
    assert torch.all(batch.trial_matrices(6, catch=True) == 0)
    assert batch.describe() == {"field": "cw", "strength": [0.0, 0.0, 4.0, 4.0, 8.0, 8.0]}
    with pytest.raises(ValueError, match="6 field matrices for a batch of 5"):
        batch.trial_matrices(5)
