"""Inpainting's KnownPixels wrapper, checked against an exact denoiser: the known pixels come out
exactly as they went in for every sampler, and on the way the known region of x_t keeps the
forward process's statistics q(x_t | known)."""

from __future__ import annotations

import math

import pytest
import torch

from engine.diffusion import NoiseSchedule, ScheduleConfig
from engine.sampling import get_sampler, sampling_timesteps
from engine.sampling.known_pixels import KnownPixels

MU, STD = 0.2, 0.3
SAMPLERS = [("ddpm", {}), ("ddpm", {"resample": 3}), ("ddim", {}), ("ddim", {"eta": 0.5}), ("dpmpp-2m", {})]


class GaussianDenoisingFunction:
    """The exact (eps, x0) for pixels x0 ~ N(MU, STD^2) i.i.d., written without `Denoiser`: the
    wrapper must work on anything with the call and a schedule."""

    def __init__(self) -> None:
        self.schedule = NoiseSchedule(ScheduleConfig(kind="cosine"))
        self.calls = 0

    def __call__(self, x_t: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        self.calls += 1
        abar = float(self.schedule.abar(t))
        a, b = math.sqrt(abar), math.sqrt(1 - abar)
        eps = b * (x_t - a * MU) / (a * a * STD * STD + b * b)
        return eps, (x_t - b * eps) / a


def known_and_mask(count: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(count, 1, 2, 2) known images in [-1, 1] and a mask that regenerates the right column."""
    known = torch.rand((count, 1, 2, 2), generator=torch.Generator().manual_seed(seed)) * 2 - 1
    mask = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    return known, mask


def start(schedule: NoiseSchedule, known: torch.Tensor, t: int, seed: int = 1) -> torch.Tensor:
    noise = torch.randn(known.shape, generator=torch.Generator().manual_seed(seed))
    return schedule.add_noise(known, noise, torch.full((known.shape[0],), t))


@pytest.mark.parametrize("name, options", SAMPLERS)
@pytest.mark.parametrize("first_step", [999, 500])
def test_known_pixels_come_out_exactly(name, options, first_step):
    function = GaussianDenoisingFunction()
    known, mask = known_and_mask(64)
    wrapped = KnownPixels(function, known, mask)
    timesteps = sampling_timesteps(first_step, 12)
    out = get_sampler(name)(wrapped, start(function.schedule, known, first_step), timesteps,
                            generator=torch.Generator().manual_seed(2), **options)
    keep = mask == 0
    assert torch.equal(out.expand_as(known)[keep.expand_as(known)], known[keep.expand_as(known)])
    assert not torch.equal(out, known)  # the masked column was regenerated


@pytest.mark.parametrize("name, options", SAMPLERS)
def test_the_known_region_of_x_t_stays_a_forward_sample(name, options):
    """At every step the known pixels of x_t are sqrt(abar) known + sqrt(1 - abar) n with n
    standard normal: the wrapper's eps is exactly that n, and every sampler carries it along."""
    function = GaussianDenoisingFunction()
    known, mask = known_and_mask(4000)
    seen = []
    get_sampler(name)(KnownPixels(function, known, mask), start(function.schedule, known, 999),
                      sampling_timesteps(999, 10), generator=torch.Generator().manual_seed(3),
                      callback=seen.append, **options)
    for step in seen:
        abar = float(function.schedule.abar(step.t))
        n = (step.x_t[..., 0] - math.sqrt(abar) * known[..., 0]) / math.sqrt(1 - abar)
        assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1) < 0.05, step.t


def test_wrappers_compose_and_keep_the_schedule():
    function = GaussianDenoisingFunction()
    known, mask = known_and_mask(8)
    outer = KnownPixels(KnownPixels(function, known, mask), known, torch.ones_like(mask))
    assert outer.schedule is function.schedule
    x_t = start(function.schedule, known, 300)
    eps, x0 = outer(x_t, 300)
    assert torch.equal(x0[..., 0], known[..., 0]) and function.calls == 1
    abar = float(function.schedule.abar(300))
    assert torch.allclose(math.sqrt(abar) * x0 + math.sqrt(1 - abar) * eps, x_t, atol=1e-5)
