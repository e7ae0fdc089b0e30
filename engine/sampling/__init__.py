"""Reverse-process samplers sharing one contract (`samplers.py`), and the steps each visits
(`grids.py`)."""

from engine.sampling.grids import log_noise_timesteps, sampler_timesteps, sampling_timesteps
from engine.sampling.samplers import (
    SAMPLERS,
    CancelToken,
    SamplerStep,
    StepCallback,
    get_sampler,
    sample_ddim,
    sample_ddpm,
    sample_dpmpp_2m,
    sample_dpmpp_2m_sde,
)

__all__ = [
    "SAMPLERS",
    "CancelToken",
    "SamplerStep",
    "StepCallback",
    "get_sampler",
    "log_noise_timesteps",
    "sample_ddim",
    "sample_ddpm",
    "sample_dpmpp_2m",
    "sample_dpmpp_2m_sde",
    "sampler_timesteps",
    "sampling_timesteps",
]
