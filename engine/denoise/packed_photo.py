"""`PackedPhoto`: a `Photo` held as the integers its file stores, for results that wait in memory.

Why: the Denoise page keeps every finished photo until the user saves it. As float32 a
12-megapixel RGB result takes 144 MB; packed at its own bit depth it takes 36 MB (8-bit), and
nothing is lost, because `write_photo` rounds to those same integers when it writes the photo in
its own bit depth. (Written at a lower depth, or composited on white for a format without alpha,
it is rounded from the packed values, as any reader of the saved file would do.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.denoise.photo import Photo

DTYPE_BY_BIT_DEPTH = {8: np.uint8, 16: np.uint16}


def quantize(values: np.ndarray, dtype: type) -> np.ndarray:
    """[0, 1] floats -> full-range integers, rounded (so 8/16-bit inputs round-trip exactly)."""
    top = np.iinfo(dtype).max
    return np.rint(np.clip(values, 0, 1) * top).astype(dtype)


def dequantize(values: np.ndarray) -> np.ndarray:
    """Full-range integers -> [0, 1] float32: the inverse of `quantize`."""
    return values.astype(np.float32) / np.float32(np.iinfo(values.dtype).max)


@dataclass(frozen=True)
class PackedPhoto:
    """`Photo`'s fields with pixels (H, W, C) uint8 or uint16 (by `bit_depth`) and alpha (H, W)
    uint8 or None: `read_photo` only ever yields alpha from 8-bit sources."""

    pixels: np.ndarray
    alpha: np.ndarray | None
    bit_depth: int
    source: Path | None
    format: str
    info: dict

    @classmethod
    def pack(cls, photo: Photo) -> PackedPhoto:
        alpha = None if photo.alpha is None else quantize(photo.alpha, np.uint8)
        pixels = quantize(photo.pixels, DTYPE_BY_BIT_DEPTH[photo.bit_depth])
        return cls(pixels, alpha, photo.bit_depth, photo.source, photo.format, photo.info)

    def unpack(self) -> Photo:
        alpha = None if self.alpha is None else dequantize(self.alpha)
        return Photo(dequantize(self.pixels), alpha, self.bit_depth, self.source, self.format, self.info)

    def eight_bit_pixels(self) -> np.ndarray:
        """(H, W, C) uint8 pixels to show: for an 8-bit photo the packed array itself (no copy)."""
        if self.pixels.dtype == np.uint8:
            return self.pixels
        return quantize(dequantize(self.pixels), np.uint8)

    @property
    def nbytes(self) -> int:
        """Memory held by the pixel arrays."""
        return self.pixels.nbytes + (0 if self.alpha is None else self.alpha.nbytes)


def as_photo(photo: Photo | PackedPhoto) -> Photo:
    """`photo` with float pixels, unpacking it if it is packed."""
    return photo.unpack() if isinstance(photo, PackedPhoto) else photo
