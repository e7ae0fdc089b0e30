"""The inpainting mask a user paints on the Generate page, at the model's own resolution (pure
numpy, no Qt): True = regenerate (white in a mask file), False = keep. A 28 px model's mask is 28
x 28 booleans, so what is painted is exactly what the model is given: the canvas widget only
shows this array and forwards strokes in model pixels, and tests paint it without a window.
"""

from __future__ import annotations

import numpy as np
import torch

MIN_BRUSH, MAX_BRUSH = 1, 16
DEFAULT_BRUSH = 3


class MaskPainting:
    def __init__(self, size: int) -> None:
        self.pixels = np.zeros((size, size), bool)
        self.brush = DEFAULT_BRUSH  # diameter in model pixels
        self.erasing = False

    @property
    def size(self) -> int:
        return self.pixels.shape[0]

    def is_empty(self) -> bool:
        return not self.pixels.any()

    def stroke(self, start: tuple[float, float], end: tuple[float, float]) -> bool:
        """Paint (or, erasing, clear) a brush-wide line from `start` to `end`, (x, y) in model
        pixels from the top left corner (a press is a stroke from a point to itself). Each end is
        taken at the centre of the pixel it falls in, so a one-pixel brush paints the pixel under
        the pointer. Returns whether any pixel changed."""
        a, b = (np.floor(np.asarray(point, np.float64)) + 0.5 for point in (start, end))
        rows, columns = np.mgrid[0:self.size, 0:self.size] + 0.5
        centres = np.stack([columns, rows], axis=-1)  # (H, W, 2) as (x, y)
        along = b - a
        length2 = float(along @ along)
        t = np.zeros(rows.shape) if length2 == 0 else np.clip((centres - a) @ along / length2, 0, 1)
        nearest = a + t[..., None] * along
        reached = ((centres - nearest) ** 2).sum(-1) <= (self.brush / 2) ** 2 + 1e-9
        before = self.pixels.copy()
        self.pixels[reached] = not self.erasing
        return not np.array_equal(before, self.pixels)

    def clear(self) -> None:
        self.pixels[:] = False

    def invert(self) -> None:
        np.logical_not(self.pixels, out=self.pixels)

    def replace(self, pixels: np.ndarray) -> None:
        """Take a mask from elsewhere (a file, fitted to this size): (size, size), nonzero = regenerate."""
        self.pixels = np.asarray(pixels).astype(bool).reshape(self.size, self.size).copy()

    def resized(self, size: int) -> MaskPainting:
        """The same mask for a model of another size, by nearest neighbour (what was painted over a
        region stays over that region)."""
        other = MaskPainting(size)
        other.brush, other.erasing = self.brush, self.erasing
        source = (np.arange(size) * self.size) // size
        other.pixels = self.pixels[np.ix_(source, source)].copy()
        return other

    def as_tensor(self) -> torch.Tensor:
        """(1, size, size) float32 of 1 (regenerate) and 0 (keep), as GenerationRequest takes it."""
        return torch.from_numpy(self.pixels.astype(np.float32))[None]

    def as_image(self) -> np.ndarray:
        """(size, size) uint8, 255 = regenerate: the mask as a file stores it (`fit_mask` reads it
        back exactly at the model's size)."""
        return self.pixels.astype(np.uint8) * 255
