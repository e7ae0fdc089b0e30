"""The noisy photos the photo denoiser learns from: one clean crop in, one noisy copy and its
true noise level per pixel out.

The mix (every draw from the step's generator, so a resumed run sees the same photos):

* GAUSSIAN_SHARE: white Gaussian noise of std 100 u^2 (0-255 units, u uniform: more weight on
  the light noise most photos have, up to sigma 100, the most the app denoises);
* the rest: camera noise (`engine.noise.camera`) from a random sensor: shot-noise variance
  log-uniform over SHOT_RANGE (from a good phone in daylight to a high-ISO shot in the dark),
  read noise from Brooks et al.'s fit with its scatter, random white balance and a colour matrix
  between the identity and a typical phone's;
* then stored as 8 bits (clipped, rounded), as every file is; and as JPEG of quality
  JPEG_QUALITY_RANGE with probability JPEG_SHARE[kind].

The level map is the noise std before storage (JPEG removes part of the noise; the network
learns what it leaves), and is given to the network with a random error of about
LEVEL_MAP_ERROR (log-normal, per image and per channel) so that it copes with an estimate of
the level instead of the truth.
"""

from __future__ import annotations

import math

import torch

from engine.noise import CameraNoise, add_camera_noise, jpeg_round_trip, to_8bit
from engine.noise.camera import PHONE_CCM

GAUSSIAN_SHARE = 0.4
MAX_SIGMA = 100.0
SHOT_RANGE = (2e-4, 2e-2)
READ_SCATTER = 0.26  # std of log(read) around Brooks et al.'s fit
RED_GAIN_RANGE, BLUE_GAIN_RANGE = (1.6, 2.4), (1.3, 2.0)
JPEG_SHARE = {"gaussian": 0.3, "camera": 0.5}
JPEG_QUALITY_RANGE = (60, 98)
LEVEL_MAP_ERROR = 0.2
CHANNEL_LEVEL_ERROR = 0.1


def noisy_photo(clean: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(3, H, W) clean in [0, 1] -> (noisy stored photo in [0, 1], noise std map in [0, 1] units,
    with the error a level estimate would make)."""
    if _uniform(generator) < GAUSSIAN_SHARE:
        sigma = MAX_SIGMA * _uniform(generator) ** 2 / 255
        noisy = clean + sigma * torch.randn(clean.shape, generator=generator)
        level_map, kind = torch.full_like(clean, sigma), "gaussian"
    else:
        sensor = _random_sensor(generator)
        noisy = add_camera_noise(clean, sensor, generator)
        level_map, kind = sensor.std_map(clean), "camera"
    stored = to_8bit(noisy)
    if _uniform(generator) < JPEG_SHARE[kind]:
        stored = jpeg_round_trip(stored, _uniform_int(JPEG_QUALITY_RANGE[1] - JPEG_QUALITY_RANGE[0] + 1, generator)
                                 + JPEG_QUALITY_RANGE[0])
    error = torch.exp(LEVEL_MAP_ERROR * torch.randn(1, generator=generator)
                      + CHANNEL_LEVEL_ERROR * torch.randn(3, 1, 1, generator=generator))
    return stored, level_map * error


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
