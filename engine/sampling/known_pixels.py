"""Inpainting: a denoising function that keeps the known pixels of a picture, for every sampler.

`KnownPixels` wraps any `DenoisingFunction` (a `Denoiser`, or another wrapper: it only calls it
and reads its `schedule`). Given x_t at step t, the wrapped function sees x_t as it is, known
region included, so the network fits what it makes to what is kept. The wrapper then returns

    x0  = mask * x0_predicted + (1 - mask) * known          (mask: 1 = regenerate, 0 = keep)
    eps = (x_t - sqrt(abar_t) x0) / sqrt(1 - abar_t)         (from the ORIGINAL x_t)

Why that is enough for every sampler, with no sampler knowing about masks: every update rule here
computes x_prev pixel by pixel from (x_t, eps, x0), and in the known region x0 is now the true
clean image and eps the exact noise of x_t about it. So there:

* ddpm draws from the true posterior q(x_prev | x_t, x0 = known);
* ddim (any eta) moves x_t = sqrt(abar_t) known + sqrt(1 - abar_t) n to sqrt(abar_prev) known +
  sqrt(1 - abar_prev - sigma^2) n + sigma z, a draw from q(x_prev | known) again;
* dpmpp-2m's multistep estimate mixes two x0's that are both `known`, so its exponential-integrator
  step is exact for that constant clean image: the same n, rescaled to step prev.

If the starting x's known region is a forward sample q(x_t_start | known) (`steering.starting_x`
noises the init picture with `NoiseSchedule.add_noise`), it stays one at every step, and the last
update (abar_prev = 1) lands on x0 itself: the known pixels come out exactly as they went in. The
regenerated region is what the samplers make of it, conditioned at every step on a known region
with the right statistics; RePaint resampling (`sample_ddpm(resample=U)`) gives it more passes to
agree with the known pixels. The mask must be binary: on a soft edge the mixed x0 is neither
known nor predicted, and the exactness above does not hold.
"""

from __future__ import annotations

import math

import torch

from engine.diffusion.schedule import NoiseSchedule
from engine.sampling.samplers import DenoisingFunction


class KnownPixels:
    """`DenoisingFunction` that keeps `known` where `mask` is 0. known (C, H, W) or (B, C, H, W)
    in [-1, 1]; mask broadcastable to it, 1 = regenerate, 0 = keep."""

    def __init__(self, denoiser: DenoisingFunction, known: torch.Tensor, mask: torch.Tensor) -> None:
        self.denoiser = denoiser
        self.known = known
        self.mask = mask

    @property
    def schedule(self) -> NoiseSchedule:
        return self.denoiser.schedule

    def __call__(self, x_t: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        _, predicted_x0 = self.denoiser(x_t, t)
        known = self.known.to(predicted_x0)
        mask = self.mask.to(predicted_x0)
        x0 = mask * predicted_x0 + (1 - mask) * known
        abar = float(self.schedule.abar(t))
        eps = (x_t - math.sqrt(abar) * x0) / math.sqrt(1 - abar)
        return eps, x0
