"""The noisy photos the photo denoiser learns from: one clean crop in, one noisy copy and its
true noise level per pixel out.

The mix (every draw from the step's generator, so a resumed run sees the same photos):

* a `gaussian_share` (GAUSSIAN_SHARE unless the run sets `photo_gaussian_share`): white Gaussian
  noise of std 100 u^2 (0-255 units, u uniform: more weight on
  the light noise most photos have, up to sigma 100, the most the app denoises);
* the rest: camera noise (`engine.noise.camera`) from a random sensor: shot-noise variance
  log-uniform over SHOT_RANGE (from a good phone in daylight to a high-ISO shot in the dark),
  read noise from Brooks et al.'s fit with its scatter, random white balance and a colour matrix
  between the identity and a typical phone's;
* then stored as 8 bits (clipped, rounded), as every file is; and as JPEG of quality
  JPEG_QUALITY_RANGE with probability JPEG_SHARE[kind].

The level map the network is given is the one it will be given when it denoises a user's photo:
the engine's estimate (`engine.denoise.noise_levels`) from the stored noisy crop, told whether
it is a JPEG as a file reader would be. So the network learns what the estimate means, its
errors included (texture read as noise, the noise JPEG removed), instead of trusting a truth it
never sees at run time.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from engine.denoise.noise_levels import estimate_noise_levels
from engine.noise import CameraNoise, add_camera_noise, jpeg_round_trip, to_8bit
from engine.noise.camera import PHONE_CCM

GAUSSIAN_SHARE = 0.4
MAX_SIGMA = 100.0
SHOT_RANGE = (2e-4, 2e-2)
READ_SCATTER = 0.26  # std of log(read) around Brooks et al.'s fit
RED_GAIN_RANGE, BLUE_GAIN_RANGE = (1.6, 2.4), (1.3, 2.0)
JPEG_SHARE = {"gaussian": 0.3, "camera": 0.5}
JPEG_QUALITY_RANGE = (60, 98)


def noisy_photo(clean: torch.Tensor, generator: torch.Generator,
                gaussian_share: float = GAUSSIAN_SHARE) -> tuple[torch.Tensor, torch.Tensor]:
    """(3, H, W) clean in [0, 1] -> (noisy stored photo in [0, 1], the estimated noise std map of
    it in [0, 1] units)."""
    if _uniform(generator) < gaussian_share:
        sigma = MAX_SIGMA * _uniform(generator) ** 2 / 255
        noisy, kind = clean + sigma * torch.randn(clean.shape, generator=generator), "gaussian"
    else:
        noisy, kind = add_camera_noise(clean, _random_sensor(generator), generator), "camera"
    stored = to_8bit(noisy)
    as_jpeg = _uniform(generator) < JPEG_SHARE[kind]
    if as_jpeg:
        stored = jpeg_round_trip(stored, _uniform_int(JPEG_QUALITY_RANGE[1] - JPEG_QUALITY_RANGE[0] + 1, generator)
                                 + JPEG_QUALITY_RANGE[0])
    pixels = stored.permute(1, 2, 0).numpy().astype(np.float32)
    level_map = estimate_noise_levels(pixels, from_jpeg=as_jpeg).per_pixel(pixels) / 255
    return stored, torch.from_numpy(level_map).permute(2, 0, 1).to(stored.dtype)


def _random_sensor(generator: torch.Generator) -> CameraNoise:
    low, high = (math.log(v) for v in SHOT_RANGE)
    shot = math.exp(low + (high - low) * _uniform(generator))
    read = math.exp(2.18 * math.log(shot) + 1.2 + READ_SCATTER * float(torch.randn(1, generator=generator)))
    red = RED_GAIN_RANGE[0] + (RED_GAIN_RANGE[1] - RED_GAIN_RANGE[0]) * _uniform(generator)
    blue = BLUE_GAIN_RANGE[0] + (BLUE_GAIN_RANGE[1] - BLUE_GAIN_RANGE[0]) * _uniform(generator)
    mix = _uniform(generator)
    ccm = tuple(tuple((1 - mix) * float(i == j) + mix * PHONE_CCM[i][j] for j in range(3)) for i in range(3))
    return CameraNoise(shot, read, (red, 1.0, blue), ccm)


def _uniform(generator: torch.Generator) -> float:
    return float(torch.rand(1, generator=generator))


def _uniform_int(high: int, generator: torch.Generator) -> int:
    return int(torch.randint(high, (1,), generator=generator))
