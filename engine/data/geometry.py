"""From a decoded image to a square training tensor: mode, resize, crop, flip.

Two stages so the expensive one can be cached:

- `prepare_pixels` (deterministic, cacheable): mode rules of `pixel_modes`, then a Lanczos resize
  (Pillow's is antialiased when shrinking). With `resize_short_side` the short side becomes
  exactly `image_size`, so a crop keeps the whole short dimension. Without it the image keeps its
  native resolution (patch training for the photo denoiser) and is only upscaled, short side to
  `image_size`, when it is too small to hold one crop.
- `crop_to_tensor` (random): an `image_size` square crop, random with a generator, centred
  without; then an optional horizontal flip (generator only); then uint8 -> float32 in [-1, 1].
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from engine.data.pixel_modes import to_channels


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
    pixels: np.ndarray, image_size: int, generator: torch.Generator | None, hflip: bool
) -> torch.Tensor:
    """(channels, image_size, image_size) float32 in [-1, 1] from uint8 (H, W, channels) pixels.

    With a generator the draws are always, in order: crop top, crop left, then (if `hflip`) a
    flip coin, so one seed gives one crop whatever the image.
    """
    height, width = pixels.shape[:2]
    if generator is None:
        top, left, flip = (height - image_size) // 2, (width - image_size) // 2, False
    else:
        top = _random_int(height - image_size + 1, generator)
        left = _random_int(width - image_size + 1, generator)
        flip = hflip and _random_int(2, generator) == 1
    crop = pixels[top : top + image_size, left : left + image_size]
    if flip:
        crop = crop[:, ::-1]
    return torch.from_numpy(crop.copy()).permute(2, 0, 1).to(torch.float32) / 127.5 - 1.0


def _random_int(high: int, generator: torch.Generator) -> int:
    return int(torch.randint(high, (1,), generator=generator, device=generator.device).item())
