"""Our DPM-Solver++ samplers take the same steps as k-diffusion's (0.1.1.post1, the code behind
the "DPM++ 2M" and "DPM++ 2M SDE" samplers of Stable Diffusion front ends).

k-diffusion works in the variance-exploding view: x_ve = x / sqrt(abar), sigma = sqrt((1 - abar)
/ abar), and its model returns the clean image. Both samplers are run on the same denoiser (an
exact one for Gaussian data) from the same start, the SDE one with the same noise per step, and
must land on the same images.
"""

import math

import pytest
import torch

from engine.diffusion import Denoiser, NoiseSchedule, ScheduleConfig
from engine.sampling import sample_dpmpp_2m, sample_dpmpp_2m_sde, sampling_timesteps
from reference_modules import load_reference_module
from test_samplers import GaussianOptimalNetwork

# Imported at the top of k_diffusion/sampling.py, used only by what we do not compare with (its
# default Brownian-tree noise; we pass the noise). scipy and torchdiffeq come with torchdiffeq.
UNUSED_IMPORTS = {
    "torchsde": ("BrownianTree",),
    "k_diffusion.utils": ("append_dims",),
}


@pytest.fixture(scope="module")
def k_sampling():
    return load_reference_module("k_diffusion", "sampling", UNUSED_IMPORTS)


def ve_sigma(schedule: NoiseSchedule, t: int) -> float:
    abar = float(schedule.abar(t))
    return math.sqrt((1 - abar) / abar)


def k_diffusion_model(denoiser: Denoiser, timesteps: list[int]):
    """Our denoiser as k-diffusion calls a model: (x_ve, sigma) -> the clean image."""
    step_of = {ve_sigma(denoiser.schedule, t): t for t in timesteps}

    def model(x_ve: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        t = step_of[float(sigma[0])]
        _, x0 = denoiser(x_ve * math.sqrt(float(denoiser.schedule.abar(t))), t)
        return x0.to(x_ve.dtype)

    return model


@pytest.mark.parametrize("steps", [5, 20])
@pytest.mark.parametrize("ours,theirs,noisy", [
    (sample_dpmpp_2m, "sample_dpmpp_2m", False),
    (sample_dpmpp_2m_sde, "sample_dpmpp_2m_sde", True),
])
def test_dpm_solver_plus_plus_matches_k_diffusion(k_sampling, steps, ours, theirs, noisy):
    schedule = NoiseSchedule(ScheduleConfig(kind="cosine"))
    denoiser = Denoiser(GaussianOptimalNetwork(schedule), schedule, "eps", clip_x0=False)
    timesteps = sampling_timesteps(999, steps)
    x_t = torch.randn((64, 1, 2, 2), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ours_out = ours(denoiser, x_t, timesteps, generator=torch.Generator().manual_seed(1))

    sigmas = torch.tensor([ve_sigma(schedule, t) for t in timesteps] + [0.0], dtype=torch.float64)
    reference_noise = torch.Generator().manual_seed(1)
    extra = {"noise_sampler": lambda *_: torch.randn(x_t.shape, generator=reference_noise, dtype=x_t.dtype)}
    x_ve = x_t / math.sqrt(float(schedule.abar(timesteps[0])))
    theirs_out = getattr(k_sampling, theirs)(k_diffusion_model(denoiser, timesteps), x_ve, sigmas, disable=True,
                                              **(extra if noisy else {}))
    assert torch.allclose(ours_out, theirs_out, atol=1e-5), (ours_out - theirs_out).abs().max()
    if noisy:  # the noise mattered: without it the SDE sampler lands elsewhere
        assert not torch.allclose(ours_out, sample_dpmpp_2m(denoiser, x_t, timesteps), atol=1e-3)
