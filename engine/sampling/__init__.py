"""Reverse-process samplers sharing one contract; see `samplers.py`."""

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
    sampling_timesteps,
)

__all__ = [
    "SAMPLERS",
    "CancelToken",
    "SamplerStep",
    "StepCallback",
    "get_sampler",
    "sample_ddim",
    "sample_ddpm",
    "sample_dpmpp_2m",
    "sample_dpmpp_2m_sde",
    "sampling_timesteps",
]
