"""A small live picture of the whole photo while its tiles are denoised.

A photo is denoised in tiles (up to 512 px for the photo-denoiser, 64 px for photo-denoiser-v1), so
a preview of the tile being worked on shows a speck of a large photo. This keeps a copy of the
photo shrunk to at most PREVIEW_MAX_SIDE pixels and faded: finished tiles are pasted in at full
strength as they come out, and each report shows the current batch's predicted clean tiles over
it, so the user watches the photo clean up region by region. Overlapping tiles are pasted, not
blended (the last one wins): at preview scale the difference is below a pixel's worth, and
pasting costs next to nothing beside a network call.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from engine.denoise.tiling import Tile
from engine.imaging import to_uint8

PREVIEW_MAX_SIDE = 256
# Regions not denoised yet are shown faded this far toward mid grey. Shrunk to preview size a
# noisy photo looks as clean as a denoised one (the averaging removes the noise), so without
# the fade the preview could not show what is done and what is not.
UNPROCESSED_FADE = 0.6


class LivePreview:
    """The photo at preview scale ((C, h, w) float32 in [0, 1]), faded, with denoised tiles
    pasted in."""

    def __init__(self, pixels: np.ndarray, max_side: int = PREVIEW_MAX_SIDE) -> None:
        height, width = pixels.shape[:2]
        self._scale = min(1.0, max_side / max(height, width))
        size = (max(1, round(height * self._scale)), max(1, round(width * self._scale)))
        shrunk = _resized(torch.from_numpy(pixels).permute(2, 0, 1)[None], size)[0]
        self._canvas = torch.lerp(shrunk, torch.full_like(shrunk, 0.5), UNPROCESSED_FADE)  # a new tensor

    def paste(self, tiles: list[Tile], values: torch.Tensor) -> None:
        """Keep finished tiles: `values` (B, C, h, w) in [0, 1], photo channels."""
        self._paste_into(self._canvas, tiles, values)

    def with_tiles(self, tiles: list[Tile], values: torch.Tensor) -> np.ndarray:
        """(h, w, C) uint8: the preview with `values` (B, C, h, w) in [0, 1] shown over `tiles`;
        the kept canvas is left as it was."""
        shown = self._canvas.clone()
        self._paste_into(shown, tiles, values)
        return to_uint8(shown[None] * 2 - 1)[0]

    def _paste_into(self, canvas: torch.Tensor, tiles: list[Tile], values: torch.Tensor) -> None:
        for tile, tile_values in zip(tiles, values.detach().float().cpu()):
            rows, columns = self._region(tile)
            canvas[:, rows, columns] = _resized(tile_values[None], (rows.stop - rows.start, columns.stop - columns.start))[0]

    def _region(self, tile: Tile) -> tuple[slice, slice]:
        """The tile's pixels at preview scale, at least one pixel each way."""
        return (self._span(tile.top, tile.height, self._canvas.shape[1]),
                self._span(tile.left, tile.width, self._canvas.shape[2]))

    def _span(self, start: int, length: int, preview_length: int) -> slice:
        first = min(int(start * self._scale), preview_length - 1)
        end = min(max(first + 1, round((start + length) * self._scale)), preview_length)
        return slice(first, end)


def _resized(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(B, C, H, W) float averaged down to `size` (area filter: no aliasing of the noise)."""
    if tuple(images.shape[2:]) == size:
        return images.float()
    return F.adaptive_avg_pool2d(images.float(), size)
