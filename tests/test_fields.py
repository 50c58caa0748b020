"""Curl-field signs are pinned (book/conventions.md): CW pushes a rightward movement towards -y.

Force channels push the hand back onto the start-target line, and are stable at motornet's time step.
"""

from __future__ import annotations

import math

import pytest
import torch

from motorkit.effectors import make_effector
from motorkit.fields import (CHANNEL_DAMPING, CHANNEL_STIFFNESS, SHADMEHR_1994, FieldBatch, ForceChannel, ForceField,
                             ViscousField, endpoint_force, make_field)
from motorkit.tasks import Trials


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


def _trials(start: list[list[float]], target: list[list[float]]) -> Trials:
    n = len(start)
    return Trials(torch.zeros(n, 4), torch.tensor(start), torch.tensor(target), torch.zeros(n, dtype=torch.long))


def test_channel_pushes_the_hand_back_onto_the_start_target_line() -> None:
    channel = ForceChannel(stiffness=2000.0, damping=40.0)
    law = channel.trial_loads(_trials([[0.0, 0.0], [0.1, 0.2]], [[0.1, 0.0], [0.1, 0.3]]))  # rightward, upward
    # 1 cm left of the line, moving along it at 0.5 m/s and away from it at 0.2 m/s
    hand = torch.tensor([[0.05, 0.01, 0.5, 0.2], [0.09, 0.25, -0.2, 0.5]])
    force = law.force(hand)
    torch.testing.assert_close(force[0], torch.tensor([0.0, -(2000 * 0.01 + 40 * 0.2)]))  # pushed right, to -y
    torch.testing.assert_close(force[1], torch.tensor([2000 * 0.01 + 40 * 0.2, 0.0]))  # upward reach: pushed to +x
    on_line = law.force(torch.tensor([[0.07, 0.0, 0.8, 0.0], [0.1, 0.28, 0.0, -0.3]]))
    assert torch.all(on_line == 0)  # nothing along the line: the channel only acts across it
    assert torch.all(channel.trial_loads(_trials([[0.0, 0.0]], [[0.1, 0.0]]), catch=True).force(hand[:1]) == 0)
    hold = channel.trial_loads(_trials([[0.0, 0.0]], [[0.0, 0.0]]))  # no line to hold: no wall
    assert torch.all(hold.force(hand[:1]) == 0)
    assert channel.describe() == {"field": "channel", "stiffness": 2000.0, "damping": 40.0}


def test_channel_damping_exceeds_stiffness_times_dt() -> None:
    # motornet's Euler step is stable for a spring-damper only if D > K dt (the discrete map's determinant < 1)
    assert CHANNEL_DAMPING > CHANNEL_STIFFNESS * 0.01


def test_channel_holds_a_passive_arm_without_ringing() -> None:
    """An arm flung sideways at 0.5 m/s into the default channel stops within millimetres and settles back."""
    effector = make_effector("arm26")
    joint = torch.tensor([[math.radians(60.0), math.radians(90.0), 0.0, 0.0]])
    effector.reset(options={"batch_size": 1, "joint_state": joint})
    start = effector.states["cartesian"][:, :2].clone()
    jacobian = torch.autograd.functional.jacobian(
        lambda q: effector.joint2cartesian(torch.cat([q, torch.zeros(1, 2)], -1))[:, :2], joint[:, :2])[0, :, 0]
    velocity = torch.linalg.solve(jacobian, torch.tensor([0.0, 0.5]))  # hand at 0.5 m/s towards +y
    effector.reset(options={"batch_size": 1, "joint_state": torch.cat([joint[:, :2], velocity[None]], -1)})
    law = ForceChannel().trial_loads(_trials(start.tolist(), (start + torch.tensor([[0.1, 0.0]])).tolist()))
    lateral = []
    for _ in range(100):  # 1 s
        effector.step(torch.zeros(1, 6), endpoint_load=law.force(effector.states["cartesian"]))
        lateral.append(float(effector.states["cartesian"][0, 1] - start[0, 1]))
    lateral = torch.tensor(lateral).abs()
    assert lateral.max() < 0.01  # stopped within a centimetre
    assert lateral[50:].max() < 0.25 * lateral.max()  # and settled: no growing oscillation
    assert lateral[-10:].max() < 0.002


def test_make_field_names_the_channel_and_refuses_catch_trials_in_it() -> None:
    assert isinstance(make_field("channel"), ForceChannel)
    assert make_field("cw", 4.0) == ForceField("cw", 4.0)
    with pytest.raises(ValueError, match="catch trials"):
        make_field("channel", catch_fraction=0.2)
    with pytest.raises(ValueError, match="unknown curl field"):
        ForceField("channel")


def test_viscous_field_is_the_given_matrix_with_catch_trials() -> None:
    field = make_field("viscous", viscosity=SHADMEHR_1994)
    assert isinstance(field, ViscousField) and field.kind == "viscous"
    torch.testing.assert_close(field.matrix(), torch.tensor([[-10.1, -11.2], [-11.2, 11.1]]))
    torch.testing.assert_close(field.force(torch.tensor([[0.1, 0.0]])), torch.tensor([[-1.01, -1.12]]))
    half = ViscousField(SHADMEHR_1994, catch_fraction=0.5).trial_matrices(1000, torch.Generator().manual_seed(0))
    assert 0.4 < (half.abs().sum(dim=(1, 2)) == 0).float().mean() < 0.6
    assert field.describe() == {"field": "viscous", "viscosity": list(SHADMEHR_1994)}
    with pytest.raises(ValueError, match="needs its matrix"):
        make_field("viscous")
    with pytest.raises(ValueError, match="4 finite numbers"):
        ViscousField((1.0, 2.0, 3.0))
