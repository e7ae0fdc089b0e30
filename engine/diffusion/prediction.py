"""What the network predicts (eps or v), and the one conversion every sampler needs.

v-prediction (Salimans & Ho) is v = sqrt(abar) eps - sqrt(1 - abar) x0; both parametrisations are
turned into (predicted noise, predicted clean image) here so samplers never branch on them.

Some networks also take a per-pixel noise-level map (the photo denoiser): the noise std of x_t at
each pixel and channel. The Denoiser makes it here, from the step, so samplers never know: at
step t the noise of x_t has std sqrt(1 - abar_t), times `noise_shape` where the noise is not the
same everywhere (a photo whose shadows are noisier than its sky; see `engine.denoise`).
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

    def __init__(
        self,
        network: Network,
        schedule: NoiseSchedule,
        prediction: str,
        clip_x0: bool = True,
        takes_noise_map: bool = False,
        noise_shape: torch.Tensor | None = None,
    ) -> None:
        """`takes_noise_map`: the network's third argument is the noise map. `noise_shape`
        (broadcastable to x_t, root mean square 1): how the noise level varies over the pixels
        and channels; None = uniform."""
        self.network = network
        self.schedule = schedule
        self.prediction = check_prediction_type(prediction)
        self.clip_x0 = clip_x0
        self.takes_noise_map = takes_noise_map
        self.noise_shape = noise_shape

    def __call__(self, x_t: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        batch = x_t.shape[0]
        steps = torch.full((batch,), t, dtype=torch.long, device=x_t.device)
        abar = self.schedule.abar(t).item()
        a, s = abar**0.5, (1 - abar) ** 0.5
        if self.takes_noise_map:
            shape = torch.ones_like(x_t[:, :, :1, :1]) if self.noise_shape is None else self.noise_shape
            output = self.network(x_t, steps, shape * s).to(torch.float32)
        else:
            output = self.network(x_t, steps).to(torch.float32)
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
