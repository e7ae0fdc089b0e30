"""What the network predicts (eps or v), and the one conversion every sampler needs.

v-prediction (Salimans & Ho) is v = sqrt(abar) eps - sqrt(1 - abar) x0; both parametrisations are
turned into (predicted noise, predicted clean image) here so samplers never branch on them.
"""

from __future__ import annotations

from typing import Callable

import torch

from engine.diffusion.schedule import NoiseSchedule
from engine.errors import ConfigError

PREDICTION_TYPES = ("eps", "v")

Network = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def check_prediction_type(prediction: str) -> str:
    if prediction not in PREDICTION_TYPES:
        raise ConfigError(f"unknown prediction type {prediction!r}; use eps or v")
    return prediction


def training_target(prediction: str, x0: torch.Tensor, noise: torch.Tensor, abar: torch.Tensor) -> torch.Tensor:
    """The regression target for the network; abar broadcastable to x0."""
    if prediction == "eps":
        return noise
    return abar.sqrt() * noise - (1 - abar).sqrt() * x0


class Denoiser:
    """Wraps a network so samplers can ask: given x_t at step t, what are eps and x0?

    `clip_x0` clamps the predicted clean image to [-1, 1] and re-derives eps from it, which keeps
    few-step samplers inside the data range (the usual DDPM/DDIM practice).
    """

    def __init__(self, network: Network, schedule: NoiseSchedule, prediction: str, clip_x0: bool = True) -> None:
        self.network = network
        self.schedule = schedule
        self.prediction = check_prediction_type(prediction)
        self.clip_x0 = clip_x0

    def __call__(self, x_t: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        batch = x_t.shape[0]
        steps = torch.full((batch,), t, dtype=torch.long, device=x_t.device)
        output = self.network(x_t, steps).to(torch.float32)
        abar = self.schedule.abar(t).item()
        a, s = abar**0.5, (1 - abar) ** 0.5
        if self.prediction == "eps":
            eps = output
            x0 = (x_t - s * eps) / a
        else:
            x0 = a * x_t - s * output
            eps = s * x_t + a * output
        if self.clip_x0:
            x0 = x0.clamp(-1, 1)
            eps = (x_t - a * x0) / s
        return eps, x0
