"""What the ODE blocks measure of their flows (engine/models/ode_block.py `FlowPenalties`): the
kinetic energy of `engine train --kinetic-weight`, integrated by each block's solver alongside its
state, and the bend of `--bend-weight`, how far the vector field changes over a solve."""

import dataclasses

import pytest
import torch

from engine.models import CUNet, FlowPenalties, SolverSettings
from engine.models.cunet import default_config
from engine.models.ode_block import ODEBlock
from helpers import perturb


def tiny(**changes) -> CUNet:
    config = dataclasses.replace(default_config(1), base_channels=4, channel_mults=(2, 4), attention_levels=(),
                                 time_embedding_dim=8, **changes)
    torch.manual_seed(0)
    return CUNet(config)


def energy_of(network: CUNet, solver: SolverSettings | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(output, kinetic energy) of one call on a fixed batch."""
    energy = FlowPenalties()
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    output = network(x, torch.tensor([10, 500, 990]), solver=solver, penalties=energy)
    return output, energy.mean()


def test_a_zero_vector_field_has_no_kinetic_energy():
    assert energy_of(tiny())[1].item() == 0  # a new network's fields are zero (each block the identity)


@pytest.mark.parametrize("solver", [SolverSettings("euler", 1), SolverSettings("midpoint", 1), SolverSettings("rk4", 2)])
def test_a_moving_field_has_positive_energy_whose_gradient_reaches_the_field(solver):
    network = perturb(tiny())
    output, energy = energy_of(network, solver)
    assert energy.item() > 0
    energy.backward()
    field = network.middle.block.field
    assert field.conv2.weight.grad.abs().sum() > 0 and field.conv1.weight.grad.abs().sum() > 0


def test_recording_the_energy_leaves_the_output_as_it_is():
    network = perturb(tiny()).eval()
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([3, 700])
    with torch.no_grad():
        assert torch.allclose(network(x, t, penalties=FlowPenalties()), network(x, t), atol=1e-6)


def test_the_energy_of_a_constant_field_is_its_squared_size():
    """f = c everywhere: the integral over [0, 1] of ||c||² per element is c², with any solver."""
    class Constant(torch.nn.Module):
        def forward(self, h, condition):
            return torch.full_like(h, 0.5)

    for solver in (SolverSettings("euler", 1), SolverSettings("rk4", 3)):
        energy = FlowPenalties()
        ODEBlock(Constant())(torch.zeros(2, 3, 4, 4), None, solver, energy)
        assert energy.mean().item() == pytest.approx(0.25)


def test_the_adjoint_method_integrates_the_same_energy():
    network = perturb(tiny())
    _, plain = energy_of(network, SolverSettings("midpoint", 1))
    _, adjoint = energy_of(network, SolverSettings("midpoint", 1, adjoint=True))
    assert adjoint.item() == pytest.approx(plain.item(), rel=1e-5)
    adjoint.backward()
    assert network.middle.block.field.conv2.weight.grad.abs().sum() > 0


def test_each_call_has_its_own_record():
    network = perturb(tiny())
    _, first = energy_of(network)
    _, second = energy_of(network)
    assert first.item() == pytest.approx(second.item())


class Linear(torch.nn.Module):
    """f(h) = a h: a field that changes along its own path, so its solvers disagree."""

    def __init__(self, a: float) -> None:
        super().__init__()
        self.a = a

    def forward(self, h, condition):
        return self.a * h


@pytest.mark.parametrize("solver", [SolverSettings("midpoint", 1), SolverSettings("euler", 2)])
def test_the_bend_of_a_linear_field_is_what_its_second_evaluation_adds(solver):
    """Both solvers evaluate f at h and at h + f(h) / 2: f changes by a² h / 2 between them."""
    a, h = 0.8, torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(2))
    penalties = FlowPenalties()
    ODEBlock(Linear(a))(h, None, solver, penalties)
    assert penalties.mean_bend().item() == pytest.approx((a * a * h / 2).square().mean().item(), rel=1e-5)


def test_a_field_constant_along_its_path_does_not_bend_and_one_euler_step_adds_nothing():
    for solver in (SolverSettings("midpoint", 1), SolverSettings("rk4", 2)):
        penalties = FlowPenalties()
        ODEBlock(Linear(0.0))(torch.randn(2, 3, 4, 4), None, solver, penalties)
        assert penalties.mean_bend().item() == 0
    euler = FlowPenalties()
    ODEBlock(Linear(0.8))(torch.randn(2, 3, 4, 4), None, SolverSettings("euler", 1), euler)
    assert euler.mean_bend().item() == 0 and euler.mean().item() > 0


def test_the_bend_gradient_reaches_the_field_and_recording_it_leaves_the_output_as_it_is():
    network = perturb(tiny())
    x, t = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1)), torch.tensor([10, 500, 990])
    penalties = FlowPenalties()
    output = network(x, t, solver=SolverSettings("midpoint", 1), penalties=penalties)
    assert torch.allclose(output, network(x, t, solver=SolverSettings("midpoint", 1)), atol=1e-6)
    bend = penalties.mean_bend()
    assert bend.item() > 0
    bend.backward()
    assert network.middle.block.field.conv1.weight.grad.abs().sum() > 0
