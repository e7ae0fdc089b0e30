"""Cutting a large photo into overlapping tiles and blending the processed tiles back seamlessly.

Pure numpy and independent of networks, so the blending can be tested with an identity "model".

Layout, per axis: tiles of `min(tile, length)` pixels, as few as cover the axis with at least
`overlap` pixels shared by neighbours, spread evenly (so every tile has the same size and a batch
is one tensor). With `fit_multiple` (for a network that sees only nearby pixels, which may be
given any tile size) the tiles shrink to the smallest size, a multiple of it, that covers the axis
with as many tiles: a 1024 px side takes three 368 px tiles instead of three 512 px ones that
overlap by 256: 1,104 pixels of work instead of 1,536.

Blending: each tile's weight is the outer product of two 1-D windows that are 1 in the middle and
rise as a raised cosine across the `overlap` pixels on each side that has a neighbour (no ramp at
the photo's own border: nothing else covers it). A tile's edge is where the network saw the least
context, so its edge pixels count least. Windows are clipped at MIN_WEIGHT (never zero) and divided
by their sum per axis, so the weights of all tiles add up to exactly 1 at every pixel and the blend
needs no division afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.errors import ConfigError

MIN_WEIGHT = 1e-3


@dataclass(frozen=True)
class Tile:
    """A tile at (top, left); its blending weight is outer(row_weights, column_weights), shape
    (height, width), float32."""

    top: int
    left: int
    row_weights: np.ndarray
    column_weights: np.ndarray

    @property
    def height(self) -> int:
        return len(self.row_weights)

    @property
    def width(self) -> int:
        return len(self.column_weights)

    @property
    def region(self) -> tuple[slice, slice]:
        """Index of the tile in an (H, W, ...) array."""
        return slice(self.top, self.top + self.height), slice(self.left, self.left + self.width)

    def weights(self) -> np.ndarray:
        return np.outer(self.row_weights, self.column_weights)


def plan_tiles(height: int, width: int, tile: int, overlap: int, fit_multiple: int | None = None) -> list[Tile]:
    """Tiles covering a height x width image, row by row; all of one size (at most `tile` on a
    side; fitted to the image with `fit_multiple`, see the module docstring)."""
    if fit_multiple is not None:
        rows = axis_windows(height, fitted_tile_size(height, tile, overlap, fit_multiple), overlap)
        columns = axis_windows(width, fitted_tile_size(width, tile, overlap, fit_multiple), overlap)
    else:
        rows, columns = axis_windows(height, tile, overlap), axis_windows(width, tile, overlap)
    return [Tile(top, left, row_w, column_w) for top, row_w in rows for left, column_w in columns]


def blend_into(canvas: np.ndarray, tile: Tile, values: np.ndarray) -> None:
    """canvas[tile] += weights * values, for (H, W, C) canvases and (h, w, C) tile values."""
    canvas[tile.region] += tile.weights()[:, :, None] * values


def fitted_tile_size(length: int, tile: int, overlap: int, multiple: int) -> int:
    """The smallest tile size along an axis of `length`, a multiple of `multiple`, at most `tile`
    and at least twice the overlap, that covers it with as few tiles as `tile` itself does; `tile`
    when one tile covers the axis (the layout then takes the whole axis)."""
    check_tiling(tile, overlap)
    if length <= tile:
        return tile
    count = math.ceil((length - overlap) / (tile - overlap))
    needed = max(math.ceil((length - overlap) / count) + overlap, 2 * overlap)
    return min(tile, math.ceil(needed / multiple) * multiple)


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets along one axis: the fewest tiles that cover `length` with neighbours
    sharing >= `overlap` pixels, spread evenly; [0] when one tile covers it."""
    check_tiling(tile, overlap)
    if length <= tile:
        return [0]
    count = math.ceil((length - overlap) / (tile - overlap))
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]


def axis_windows(length: int, tile: int, overlap: int) -> list[tuple[int, np.ndarray]]:
    """(start, window) per tile along one axis; the windows sum to 1 at every position."""
    size = min(tile, length)
    starts = tile_starts(length, tile, overlap)
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(overlap) + 0.5) / overlap) if overlap else np.ones(0)
    windows = []
    for start in starts:
        window = np.ones(size)
        if start > 0:
            window[:overlap] = ramp
        if start + size < length:
            window[size - overlap :] = np.minimum(window[size - overlap :], ramp[::-1])
        windows.append(np.maximum(window, MIN_WEIGHT))
    total = np.zeros(length)
    for start, window in zip(starts, windows):
        total[start : start + size] += window
    return [
        (start, (window / total[start : start + size]).astype(np.float32)) for start, window in zip(starts, windows)
    ]


def check_tiling(tile: int, overlap: int) -> None:
    """ConfigError unless tile >= 1 and 0 <= overlap <= tile // 2."""
    if tile < 1:
        raise ConfigError(f"tile size must be >= 1, got {tile}")
    if not 0 <= overlap <= tile // 2:
        raise ConfigError(f"tile overlap must be between 0 and half the tile size ({tile // 2}), got {overlap}")
