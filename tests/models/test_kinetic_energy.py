"""The ODE blocks' kinetic energy (engine/models/ode_block.py `KineticEnergy`): the regulariser of
`engine train --kinetic-weight`, integrated by each block's solver alongside its state."""

import dataclasses

import pytest
import torch

from engine.models import CUNet, KineticEnergy, SolverSettings
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
    energy = KineticEnergy()
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    output = network(x, torch.tensor([10, 500, 990]), solver=solver, kinetic_energy=energy)
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
        assert torch.allclose(network(x, t, kinetic_energy=KineticEnergy()), network(x, t), atol=1e-6)


def test_the_energy_of_a_constant_field_is_its_squared_size():
    """f = c everywhere: the integral over [0, 1] of ||c||² per element is c², with any solver."""
    class Constant(torch.nn.Module):
        def forward(self, h, condition):
            return torch.full_like(h, 0.5)

    for solver in (SolverSettings("euler", 1), SolverSettings("rk4", 3)):
        energy = KineticEnergy()
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
