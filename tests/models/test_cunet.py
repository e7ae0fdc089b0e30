import dataclasses

import pytest
import torch

from engine.errors import ConfigError
from engine.models import CUNet, CUNetConfig, SolverSettings, count_parameters
from engine.models.cunet import VectorField, default_config, denoise_config, paper_config
from engine.models.ode_block import FlowPenalties, ODEBlock
from helpers import perturb


def small(**changes) -> CUNetConfig:
    return dataclasses.replace(
        default_config(3), base_channels=4, channel_mults=(2, 4, 8), attention_levels=(1,), **changes
    )


def small_paper() -> CUNetConfig:
    return dataclasses.replace(paper_config(3), base_channels=4, channel_mults=(2, 4, 8), attention_levels=(1,))


def test_paper_preset_matches_official_parameter_count():
    network = CUNet(paper_config(3))
    assert count_parameters(network) == 8_811_875
    assert count_parameters(network, trainable_only=True) == 8_555_875


@pytest.mark.parametrize("shape", [(2, 1, 28, 28), (1, 3, 33, 47), (1, 3, 16, 16), (1, 1, 5, 9)])
def test_output_shape_matches_input_for_any_size(shape):
    network = CUNet(small(in_channels=shape[1]))
    out = network(torch.randn(shape), torch.tensor([10] * shape[0]))
    assert out.shape == shape


def test_default_preset_is_time_conditioned():
    network = perturb(CUNet(small())).eval()
    x = torch.randn(1, 3, 16, 16)
    assert not torch.allclose(network(x, torch.tensor([5])), network(x, torch.tensor([900])))


def test_paper_preset_is_blind_to_time_like_the_official_code():
    network = CUNet(small_paper()).eval()
    x = torch.randn(1, 3, 16, 16)
    assert torch.equal(network(x, torch.tensor([5])), network(x, torch.tensor([900])))


def test_paper_step_table_holds_sin_and_cos_of_the_official_angles():
    """Official code: column 2k is sin(t w), column 2k+1 cos(t w), w = 10000^(-4k/256) (only the
    even-indexed frequencies, its quirk B6); frozen, and never used (bug B1)."""
    table = CUNet(small_paper()).step_table.weight
    step = torch.arange(1000, dtype=torch.float64)[:, None]
    column = torch.arange(256, dtype=torch.float64)[None, :]
    angle = step * 10000.0 ** (-2 * (column - column % 2) / 256)
    expected = torch.where(column % 2 == 0, angle.sin(), angle.cos())
    assert (table.double() - expected).abs().max() < 1e-6
    assert not table.requires_grad


def _count_field_calls(network, x, **call):
    calls = 0

    def hook(*_):
        nonlocal calls
        calls += 1

    handles = [m.register_forward_hook(hook) for m in network.modules() if isinstance(m, VectorField)]
    with torch.no_grad():
        network(x, torch.tensor([3]), **call)
    for handle in handles:
        handle.remove()
    return calls


BLOCKS = 2 * 2 + 1  # of `small()`: 2 down, 2 up, 1 middle


@pytest.mark.parametrize("method,steps,evals", [("euler", 1, 1), ("midpoint", 1, 2), ("rk4", 1, 4), ("rk4", 2, 8)])
def test_the_solver_is_passed_with_the_call(method, steps, evals):
    network = CUNet(small())
    solver = SolverSettings(method=method, steps=steps)
    assert _count_field_calls(network, torch.randn(1, 3, 16, 16), solver=solver) == BLOCKS * evals
    assert network.config.solver == small().solver  # the trained solver is data, not changed by a call


@pytest.mark.parametrize("method,steps,evals", [("euler", 1, 1), ("rk4", 2, 8)])
def test_function_evaluations_count_the_solver_of_the_call(method, steps, evals):
    network = CUNet(small())
    before = network.function_evaluations()
    with torch.no_grad():
        network(torch.randn(1, 3, 16, 16), torch.tensor([3]), solver=SolverSettings(method, steps))
    assert network.function_evaluations() - before == BLOCKS * evals


def test_a_call_without_a_solver_runs_the_trained_one_whatever_came_before():
    """No hidden state: a solver passed with one call is gone by the next."""
    network = perturb(CUNet(small())).eval()
    x, t = torch.randn(2, 3, 16, 16), torch.tensor([3, 700])
    with torch.no_grad():
        trained = network(x, t)
        network(x, t, solver=SolverSettings("rk4", 3))
        before = network.function_evaluations()
        after = network(x, t)
    assert torch.equal(after, trained)
    assert network.function_evaluations() - before == BLOCKS * small().solver.evals_per_block()


def test_the_trained_solver_asked_for_by_name_is_the_default_bit_for_bit():
    network = perturb(CUNet(small())).eval()
    x, t = torch.randn(2, 3, 16, 16), torch.tensor([3, 700])
    with torch.no_grad():
        assert torch.equal(network(x, t), network(x, t, solver=network.config.solver))


def test_interleaved_calls_with_different_solvers_match_separate_runs():
    """One network serves two callers at once (two pages, two threads): each call's solver is its own."""
    euler, rk4 = SolverSettings("euler", 1), SolverSettings("rk4", 2)
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    steps = [torch.tensor([t, t]) for t in (900, 500, 100)]
    network = perturb(CUNet(small())).eval()
    with torch.no_grad():
        alone = {solver: [network(x, t, solver=solver) for t in steps] for solver in (euler, rk4)}
        interleaved = {euler: [], rk4: []}
        for t in steps:
            for solver in (euler, rk4):
                interleaved[solver].append(network(x, t, solver=solver))
    for solver in (euler, rk4):
        assert all(torch.equal(a, b) for a, b in zip(alone[solver], interleaved[solver]))
    assert not torch.equal(alone[euler][0], alone[rk4][0])


def test_finer_solvers_converge_to_the_adaptive_solution():
    network = perturb(CUNet(small())).eval()
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        fine = network(x, torch.tensor([3]), solver=SolverSettings("rk4", 4))
        coarse = network(x, torch.tensor([3]), solver=SolverSettings("euler", 1))
        adaptive = network(x, torch.tensor([3]), solver=SolverSettings("dopri5", rtol=1e-5, atol=1e-5))
    fine_error = (fine - adaptive).abs().max()
    coarse_error = (coarse - adaptive).abs().max()
    assert coarse_error > 0
    assert fine_error < 0.2 * coarse_error


def test_second_order_block_trains():
    network = perturb(CUNet(small(second_order=True)))
    out = network(torch.randn(2, 3, 16, 16), torch.tensor([1, 500]))
    out.pow(2).mean().backward()
    assert network.up_blocks[0].initial_velocity.weight.grad.abs().sum() > 0


def test_adjoint_gradients_match_backprop():
    torch.manual_seed(0)
    # Adjoint gradients re-integrate the ODE backwards, so they match backprop only when the
    # solver resolves the dynamics: a mild field and 8 RK4 steps.
    network = perturb(CUNet(small()), scale=0.02)
    x = torch.randn(1, 3, 8, 8)
    t = torch.tensor([100])

    def grads(adjoint: bool):
        network.zero_grad()
        network(x, t, solver=SolverSettings("rk4", 8, adjoint=adjoint)).sum().backward()
        return [p.grad.clone() for p in network.parameters() if p.grad is not None]

    for plain, adjoint in zip(grads(False), grads(True)):
        assert torch.allclose(plain, adjoint, rtol=1e-2, atol=2e-3)


@pytest.mark.parametrize("solver,adaptive,evals,label", [
    (SolverSettings("euler", 3), False, 3, "euler × 3"),
    (SolverSettings("rk4", 2), False, 8, "rk4 × 2"),
    (SolverSettings("dopri5", steps=4, rtol=1e-3, atol=1e-5), True, None, "dopri5 (rtol 0.001, atol 1e-05)"),
])
def test_a_solver_says_once_which_knob_applies(solver, adaptive, evals, label):
    assert (solver.is_adaptive, solver.evals_per_block(), solver.label()) == (adaptive, evals, label)


def test_bad_configs_are_refused():
    with pytest.raises(ConfigError):
        SolverSettings(method="leapfrog")
    with pytest.raises(ConfigError):
        CUNetConfig(in_channels=4)
    with pytest.raises(ConfigError):
        CUNetConfig(norm="batch")


def test_function_evaluations_are_counted_for_adaptive_solvers():
    network = perturb(CUNet(small(solver=SolverSettings("dopri5", rtol=1e-4, atol=1e-4)))).eval()
    with torch.no_grad():
        network(torch.randn(1, 3, 16, 16), torch.tensor([3]))
    first = network.function_evaluations()
    assert first >= 5 * 6  # 5 blocks, dopri5 needs >= 6 evaluations per accepted step
    hooked = _count_field_calls(network, torch.randn(1, 3, 16, 16))
    assert network.function_evaluations() - first == hooked


def test_an_adaptive_solver_gives_each_image_what_it_gives_it_alone():
    """dopri5 picks its steps from the error over the whole batch: without solving each image alone
    at inference, a seed would make another image in another batch."""
    network = perturb(CUNet(small(solver=SolverSettings("dopri5", rtol=1e-2, atol=1e-2)))).eval()
    x = torch.randn(3, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    x[0] *= 4  # a very different neighbour: it would force smaller steps on the whole batch
    t = torch.tensor([3, 500, 900])
    with torch.no_grad():
        together = network(x, t)
        before = network.function_evaluations()
        alone = network(x[1:2], t[1:2])
        evaluations_alone = network.function_evaluations() - before
    assert (together[1:2] - alone).abs().max() < 1e-4  # float rounding of batched convolutions only
    with torch.no_grad():
        before = network.function_evaluations()
        network(x[1:2].repeat(2, 1, 1, 1), t[1:2].repeat(2))
    assert network.function_evaluations() - before == evaluations_alone  # counted per batch call, as before


def tiny_denoiser(**changes) -> CUNetConfig:
    return dataclasses.replace(denoise_config(3), base_channels=4, channel_mults=(2, 4, 8), **changes)


@pytest.mark.parametrize("shape", [(2, 3, 32, 32), (1, 3, 37, 22), (1, 3, 9, 5)])
def test_denoise_preset_unshuffles_and_shuffles_back_for_any_size(shape):
    network = perturb(CUNet(tiny_denoiser())).eval()
    out = network(torch.randn(shape), torch.tensor([10] * shape[0]), torch.full(shape, 0.1))
    assert out.shape == shape
    assert network.stem.in_channels == 2 * 3 * 4  # image and noise map, each unshuffled into 4 sub-images


def test_denoise_preset_reads_its_noise_map_and_refuses_to_run_without_one():
    network = perturb(CUNet(tiny_denoiser())).eval()
    x, t = torch.randn(1, 3, 16, 16), torch.tensor([50])
    low, high = network(x, t, torch.full_like(x, 0.05)), network(x, t, torch.full_like(x, 0.5))
    assert not torch.allclose(low, high)
    assert torch.equal(network(x, t, torch.full((1, 3, 1, 1), 0.05)), low)  # a per-image level broadcasts
    with pytest.raises(ValueError, match="needs a noise map"):
        network(x, t)
    with pytest.raises(ValueError, match="takes no noise map"):
        CUNet(small())(x, t, torch.ones_like(x))


def test_pixel_norm_uses_no_statistics_across_the_image():
    from engine.models.cunet import PixelNorm

    norm = PixelNorm(8)
    x = torch.randn(1, 8, 6, 6)
    changed = x.clone()
    changed[:, :, 0, 0] += 100
    assert torch.allclose(norm(x)[:, :, 1:, :], norm(changed)[:, :, 1:, :])
    assert torch.allclose(norm(x).mean(dim=1), torch.zeros(1, 6, 6), atol=1e-5)


def test_pixel_norm_normalises_each_pixel_over_its_channels_with_a_gain_and_bias_per_channel():
    from engine.models.cunet import PixelNorm

    norm = PixelNorm(5)
    with torch.no_grad():
        norm.weight.copy_(torch.linspace(0.5, 2.0, 5).view(1, 5, 1, 1))
        norm.bias.copy_(torch.linspace(-1.0, 1.0, 5).view(1, 5, 1, 1))
    x = 3 * torch.randn(2, 5, 4, 3, dtype=torch.float64).float() + 1
    centred = x - x.mean(dim=1, keepdim=True)
    by_hand = centred / (centred.square().mean(dim=1, keepdim=True) + norm.eps).sqrt() * norm.weight + norm.bias
    assert torch.allclose(norm(x), by_hand, atol=1e-5) and norm(x).shape == x.shape


@pytest.mark.parametrize("changes, message", [({"unshuffle": 3}, "unshuffle"),
                                              ({"paper_vector_field": True}, "noise map"),
                                              ({"norm": "batch"}, "unknown norm")])
def test_denoise_preset_settings_are_checked(changes, message):
    with pytest.raises(ConfigError, match=message):
        tiny_denoiser(**changes)


@pytest.mark.parametrize("solver", [SolverSettings("midpoint", 1), SolverSettings("rk4", 2),
                                    SolverSettings("dopri5", rtol=1e-4, atol=1e-4)])
@pytest.mark.parametrize("energy", [False, True])
def test_an_ode_block_solves_a_channels_last_state_as_a_row_major_one_and_keeps_its_layout(solver, energy):
    block = perturb(CUNet(small())).down_blocks[1].block
    h = torch.randn(2, block.field.conv1.in_channels, 6, 10)
    condition = torch.randn(2, block.field.to_scale_shift[1].in_features)

    def solved(state):
        record = FlowPenalties() if energy else None
        out = block(state, condition, solver, record)
        return out, None if record is None else record.mean()

    row_major, row_energy = solved(h)
    channels_last, last_energy = solved(h.contiguous(memory_format=torch.channels_last))
    assert channels_last.is_contiguous(memory_format=torch.channels_last) and not channels_last.is_contiguous()
    assert torch.allclose(channels_last, row_major, atol=1e-6)
    if energy:
        assert torch.allclose(last_energy, row_energy, rtol=1e-5)


def test_the_network_computes_channels_last_and_returns_row_major():
    network = perturb(CUNet(denoise_config(3)))
    layouts = []
    for module in network.modules():
        if isinstance(module, ODEBlock):
            module.register_forward_hook(
                lambda _module, inputs, _out: layouts.append(inputs[0].is_contiguous(memory_format=torch.channels_last)))
    out = network(torch.randn(1, 3, 32, 48), torch.tensor([50]), noise_map=torch.full((1, 3, 1, 1), 0.1))
    assert len(layouts) == network.ode_block_count() and all(layouts)
    assert out.is_contiguous()
