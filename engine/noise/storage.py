"""How a file stores a noisy photo: rounded to 8 bits (which also clips it), and JPEG.

Phones and cameras save JPEG with 4:2:0 chroma subsampling; JPEG's quantisation removes part of
the noise, most of it at the finest scales, which is why a noise estimate that looks only at
the finest scale reads a JPEG as cleaner than it is (`engine.denoise.noise_estimate`).
"""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

CAMERA_CHROMA_SUBSAMPLING = 2  # Pillow's code for 4:2:0


def to_8bit(image: torch.Tensor) -> torch.Tensor:
    """(C, H, W) float -> the same image stored as 8 bits: clipped to [0, 1], rounded to 1/255."""
    return (image.clamp(0, 1) * 255).round() / 255


def jpeg_round_trip(image: torch.Tensor, quality: int) -> torch.Tensor:
    """(3, H, W) float in [0, 1] -> the image after saving as an 8-bit JPEG of `quality` (4:2:0,
    as cameras write) and reading it back, float in [0, 1]."""
    pixels = (image.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).contiguous().numpy()
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality, subsampling=CAMERA_CHROMA_SUBSAMPLING)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        back = np.asarray(decoded.convert("RGB"))
    return torch.from_numpy(back.copy()).permute(2, 0, 1).to(image.dtype) / 255
