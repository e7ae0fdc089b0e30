"""Noise schedules: the forward process q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I).

A schedule knows nothing about networks or samplers; it is the table of abar_t for t = 0..T-1
(float64, so products of many betas stay exact) plus the conversions every other module needs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from engine.errors import ConfigError

SCHEDULE_KINDS = ("linear", "cosine", "sigmoid")


@dataclass(frozen=True)
class ScheduleConfig:
    """kind: linear (Ho et al., beta 1e-4..0.02), cosine (Nichol & Dhariwal), sigmoid (Jabri et
    al., the lucidrains default the paper's code trained with). `max_step` < T restricts training
    to t <= max_step (a denoising-only model never needs pure noise)."""

    kind: str = "cosine"
    timesteps: int = 1000
    max_step: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULE_KINDS:
            raise ConfigError(f"unknown noise schedule {self.kind!r}; choose one of {', '.join(SCHEDULE_KINDS)}")
        if self.timesteps < 2:
            raise ConfigError("a noise schedule needs at least 2 timesteps")
        if self.max_step is not None and not 0 < self.max_step < self.timesteps:
            raise ConfigError(f"max_step must be in 1..{self.timesteps - 1}")

    def to_dict(self) -> dict:
        return asdict(self)


def ve_noise_level(abar: float) -> float:
    """The noise level of x_t in the variance-exploding view y = x / sqrt(abar) (k-diffusion's
    sigma, in [-1, 1] units): where the DPM-Solver++ updates are written and how a photo's noise
    maps to a step. 0 for a clean image (abar = 1)."""
    return math.sqrt((1 - abar) / abar)


def _betas(kind: str, steps: int) -> torch.Tensor:
    if kind == "linear":
        scale = 1000 / steps  # below 20 steps the last betas would pass 1: clamped like the others
        return torch.linspace(scale * 1e-4, scale * 0.02, steps, dtype=torch.float64).clamp(0, 0.999)
    t = torch.linspace(0, steps, steps + 1, dtype=torch.float64) / steps
    if kind == "cosine":
        s = 0.008
        abar = torch.cos((t + s) / (1 + s) * math.pi * 0.5) ** 2
    else:  # sigmoid, start -3, end 3, tau 1
        start, end, tau = -3.0, 3.0, 1.0
        v_start = torch.sigmoid(torch.tensor(start / tau, dtype=torch.float64))
        v_end = torch.sigmoid(torch.tensor(end / tau, dtype=torch.float64))
        abar = (-torch.sigmoid((t * (end - start) + start) / tau) + v_end) / (v_end - v_start)
    abar = abar / abar[0]
    return (1 - abar[1:] / abar[:-1]).clamp(0, 0.999)


class NoiseSchedule:
    """abar_t table and helpers. Step index t = 0 is the least noisy; `abar(-1)` is 1 (clean)."""

    def __init__(self, config: ScheduleConfig) -> None:
        self.config = config
        self.timesteps = config.timesteps
        betas = _betas(config.kind, config.timesteps)
        self.alphas_cumprod = torch.cumprod(1 - betas, dim=0)

    @property
    def max_step(self) -> int:
        """Largest step a model trained on this schedule has seen."""
        return self.config.max_step if self.config.max_step is not None else self.timesteps - 1

    def abar(self, t: torch.Tensor | int) -> torch.Tensor:
        """abar_t (float64) for integer steps t in -1..T-1; t = -1 means 'no noise' (1.0)."""
        t = torch.as_tensor(t, dtype=torch.long)
        padded = torch.cat([torch.ones(1, dtype=torch.float64), self.alphas_cumprod])
        return padded[t + 1]

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Sample x_t ~ q(x_t | x_0) with the given noise; t has shape (B,)."""
        abar = self.abar(t.cpu()).to(x0.device, x0.dtype)[:, None, None, None]
        return abar.sqrt() * x0 + (1 - abar).sqrt() * noise

    def step_for_noise_level(self, sigma: float) -> int:
        """The step whose marginal matches additive Gaussian noise of std `sigma` on a [-1, 1]
        image scaled by sqrt(abar): abar = 1 / (1 + sigma^2). Returns -1 when sigma is ~0."""
        if sigma <= 0:
            return -1
        target = 1.0 / (1.0 + sigma * sigma)
        # alphas_cumprod decreases with t: first step at or below the target.
        below = torch.nonzero(self.alphas_cumprod <= target)
        if len(below) == 0:
            return self.timesteps - 1
        t = int(below[0])
        if t > 0 and abs(float(self.alphas_cumprod[t - 1]) - target) < abs(float(self.alphas_cumprod[t]) - target):
            t -= 1
        return t

    def noise_level(self, t: int) -> float:
        """Inverse of `step_for_noise_level`: `ve_noise_level` of step t."""
        return ve_noise_level(float(self.abar(t)))
