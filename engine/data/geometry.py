"""From a decoded image to a square training tensor: mode, resize, crop, flip.

Two stages so the expensive one can be cached:

- `prepare_pixels` (deterministic, cacheable): mode rules of `pixel_modes`, then a Lanczos resize
  (Pillow's is antialiased when shrinking). With `resize_short_side` the short side becomes
  exactly `image_size`, so a crop keeps the whole short dimension. Without it the image keeps its
  native resolution (patch training for the photo denoiser) and is only upscaled, short side to
  `image_size`, when it is too small to hold one crop.
- `crop_to_tensor` (random): an `image_size` square crop, random with a generator, centred
  without; then an optional horizontal flip (generator only); then uint8 -> float32 in [-1, 1].
  With `max_downscale` > 1 the crop is first taken `s` times larger and shrunk by `s` (drawn
  log-uniformly from [1, max_downscale], antialiased), never shrinking the photo's long side below
  MIN_SHRUNK_SIDE: one full-resolution photo then also teaches how its content looks at the sizes
  people view, share and save it at, and a photo already that small is not shrunk further.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from engine.data.pixel_modes import to_channels

MIN_SHRUNK_SIDE = 640


def prepare_pixels(image: Image.Image, channels: int, image_size: int, resize_short_side: bool) -> np.ndarray:
    """uint8 (H, W, channels) with min(H, W) == image_size, or >= image_size at native resolution."""
    image = to_channels(image, channels)
    short_side = min(image.size)
    if short_side < image_size or (resize_short_side and short_side != image_size):
        scale = image_size / short_side
        width, height = (max(image_size, round(side * scale)) for side in image.size)
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    pixels = np.asarray(image)
    return pixels.reshape(pixels.shape[0], pixels.shape[1], channels)


def crop_to_tensor(
    pixels: np.ndarray, image_size: int, generator: torch.Generator | None, hflip: bool, max_downscale: float = 1.0
) -> torch.Tensor:
    """(channels, image_size, image_size) float32 in [-1, 1] from uint8 (H, W, channels) pixels.

    With a generator the draws are always, in order: (if `max_downscale` > 1) the scale, crop
    top, crop left, then (if `hflip`) a flip coin, so one seed gives one crop whatever the image.
    """
    height, width = pixels.shape[:2]
    region = image_size
    if generator is not None and max_downscale > 1:
        largest = max(1.0, min(max_downscale, max(height, width) / MIN_SHRUNK_SIDE))
        scale = math.exp(float(torch.rand(1, generator=generator)) * math.log(largest))
        region = max(image_size, min(round(image_size * scale), height, width))
    if generator is None:
        top, left, flip = (height - region) // 2, (width - region) // 2, False
    else:
        top = _random_int(height - region + 1, generator)
        left = _random_int(width - region + 1, generator)
        flip = hflip and _random_int(2, generator) == 1
    crop = pixels[top : top + region, left : left + region]
    if flip:
        crop = crop[:, ::-1]
    tensor = torch.from_numpy(crop.copy()).permute(2, 0, 1).to(torch.float32)
    if region != image_size:
        tensor = F.interpolate(tensor[None], size=(image_size, image_size), mode="bilinear", antialias=True,
                               align_corners=False)[0].clamp(0, 255)
    return tensor / 127.5 - 1.0


def _random_int(high: int, generator: torch.Generator) -> int:
    return int(torch.randint(high, (1,), generator=generator, device=generator.device).item())
