"""Samplers checked against an exact denoiser: for Gaussian data x0 ~ N(mu, s^2) the optimal
noise prediction is known in closed form, so correct samplers must return N(mu, s^2)."""

import math
import threading

import pytest
import torch

from engine.diffusion import Denoiser, NoiseSchedule, ScheduleConfig
from engine.errors import Cancelled, ConfigError
from engine.sampling import SAMPLERS, get_sampler, sample_ddim, sample_ddpm, sampling_timesteps

MU, STD = 0.2, 0.3


class GaussianOptimalNetwork:
    """E[eps | x_t] for x0 ~ N(MU, STD^2), x_t = a x0 + b eps."""

    def __init__(self, schedule: NoiseSchedule) -> None:
        self.schedule = schedule
        self.calls = 0

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        abar = self.schedule.abar(t.cpu()).float().to(x.device)[:, None, None, None]
        a, b = abar.sqrt(), (1 - abar).sqrt()
        return b * (x - a * MU) / (a * a * STD * STD + b * b)


def make_denoiser():
    schedule = NoiseSchedule(ScheduleConfig(kind="cosine"))
    network = GaussianOptimalNetwork(schedule)
    return Denoiser(network, schedule, "eps", clip_x0=False), network


def noise(count=4000, seed=0):
    return torch.randn((count, 1, 1, 1), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name,steps", [("ddpm", 1000), ("ddpm", 100), ("ddim", 100), ("dpmpp-2m", 50),
                                        ("dpmpp-2m-sde", 100)])
def test_samplers_reproduce_the_data_distribution(name, steps):
    denoiser, _ = make_denoiser()
    timesteps = sampling_timesteps(999, steps)
    out = get_sampler(name)(denoiser, noise(), timesteps, generator=torch.Generator().manual_seed(1))
    assert abs(out.mean().item() - MU) < 0.03
    assert abs(out.std().item() - STD) < 0.03


def test_ddim_eta_one_on_the_full_grid_is_ddpm_ancestral():
    denoiser, _ = make_denoiser()
    timesteps = sampling_timesteps(999, 1000)
    ddpm = sample_ddpm(denoiser, noise(), timesteps, generator=torch.Generator().manual_seed(5))
    ddim = sample_ddim(denoiser, noise(), timesteps, generator=torch.Generator().manual_seed(5), eta=1.0)
    # Same noise draws in the same order: the two update rules are algebraically identical.
    assert torch.allclose(ddpm, ddim, atol=1e-3)
    assert abs(ddim.std().item() - STD) < 0.03


def test_deterministic_samplers_are_not_ancestral():
    denoiser, _ = make_denoiser()
    timesteps = sampling_timesteps(999, 20)
    a = sample_ddim(denoiser, noise(), timesteps, generator=torch.Generator().manual_seed(1))
    b = sample_ddim(denoiser, noise(), timesteps, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b)


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_seeded_runs_are_bit_identical(name):
    denoiser, _ = make_denoiser()
    timesteps = sampling_timesteps(999, 25)
    runs = [get_sampler(name)(denoiser, noise(64), timesteps, generator=torch.Generator().manual_seed(9)) for _ in range(2)]
    assert torch.equal(runs[0], runs[1])


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_cancel_stops_within_one_step(name):
    denoiser, network = make_denoiser()
    cancel = threading.Event()
    seen = []

    def callback(step):
        seen.append(step.index)
        if step.index == 3:
            cancel.set()

    with pytest.raises(Cancelled):
        get_sampler(name)(denoiser, noise(8), sampling_timesteps(999, 20), callback=callback, cancel=cancel)
    assert seen == [0, 1, 2, 3]
    assert network.calls == 4


def test_callback_reports_every_step_with_predicted_clean_image():
    denoiser, _ = make_denoiser()
    steps = []
    sample_ddim(denoiser, noise(16), sampling_timesteps(999, 10), callback=steps.append)
    assert [s.index for s in steps] == list(range(10))
    assert steps[0].t == 999 and steps[-1].t == 0
    assert all(s.total == 10 and s.predicted_x0.shape == (16, 1, 1, 1) for s in steps)
    # The prediction at t=0 is nearly the final image; at t=999 it is nearly the data mean.
    assert abs(steps[0].predicted_x0.mean().item() - MU) < 0.05


def test_sampling_timesteps_is_a_decreasing_grid():
    grid = sampling_timesteps(999, 10)
    assert grid[0] == 999 and grid[-1] == 0 and len(grid) == 10
    assert all(a > b for a, b in zip(grid, grid[1:]))
    assert sampling_timesteps(3, 10) == [3, 2, 1, 0]
    assert sampling_timesteps(-1, 10) == []
    assert math.isclose(len(sampling_timesteps(999, 1000)), 1000)


@pytest.mark.parametrize("sampler, eta", [("ddpm", 0.0), ("ddim", 0.5), ("dpmpp-2m", 0.0), ("dpmpp-2m-sde", 0.0)])
def test_an_image_comes_out_the_same_alone_or_in_any_batch(tmp_path, sampler, eta):
    """The seed saved with an image is all it takes to make it again: the stochastic samplers'
    fresh noise is drawn per image, not per batch."""
    from engine.checkpoints import load_model
    from engine.generate import GenerationRequest, generate
    from helpers import save_tiny_model

    model = load_model(save_tiny_model(tmp_path / "m"))
    request = GenerationRequest(count=5, seed=40, sampler=sampler, steps=6, eta=eta, batch_size=3)
    batch = generate(model, request).images
    alone = generate(model, GenerationRequest(count=1, seed=43, sampler=sampler, steps=6, eta=eta)).images
    assert (batch[3] == alone[0]).all()
    assert not (batch[2] == alone[0]).all()


def test_ddpm_resampling_keeps_the_data_distribution_and_costs_resample_calls_per_step():
    """RePaint's jump re-noises by the forward process, which an exact reverse step undoes in
    distribution: the result is still N(mu, s^2). On the full grid, where the ancestral step with
    the mean x0 is nearly exact (on a coarse one each pass loses a little variance, and passes
    compound it). Progress counts steps, not calls."""
    denoiser, network = make_denoiser()
    timesteps = sampling_timesteps(999, 1000)
    steps = []
    out = sample_ddpm(denoiser, noise(), timesteps, generator=torch.Generator().manual_seed(3), resample=3,
                      callback=steps.append)
    assert network.calls == 3 * len(timesteps)
    assert [s.index for s in steps] == list(range(len(timesteps))) and steps[-1].total == len(timesteps)
    assert abs(out.mean().item() - MU) < 0.03
    assert abs(out.std().item() - STD) < 0.03


def test_ddpm_without_resampling_draws_what_it_always_drew():
    """resample=1 takes the plain ancestral path: the same noise in the same order, bit for bit."""
    denoiser, _ = make_denoiser()
    timesteps = sampling_timesteps(999, 20)
    plain = sample_ddpm(denoiser, noise(64), timesteps, generator=torch.Generator().manual_seed(4))
    once = sample_ddpm(denoiser, noise(64), timesteps, generator=torch.Generator().manual_seed(4), resample=1)
    assert torch.equal(plain, once)
    with pytest.raises(ConfigError, match="resample must be >= 1"):
        sample_ddpm(denoiser, noise(4), timesteps, resample=0)
