"""Recording a denoising run's trajectory for the whole photo, however many tiles it takes.

Tiles are denoised batch after batch, each batch through every sampler step, so the photo's
state at step k only exists once every batch has passed step k. The recorder keeps one float
canvas per step for x_t and one for the predicted clean image and blends each batch's tiles into
them with the same weights as the result (`tiling.blend_into`), so frame k shows the whole photo
at step k, seamless like the output. That costs 2 x steps x H x W x C float32, which is why
`recorder_for` bounds the pixel-steps recorded.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.denoise.tiling import Tile, blend_into

MAX_PIXEL_STEPS = 16_000_000  # at most 384 MB of canvases for an RGB photo




class TrajectoryRecorder:
    """Per-step whole-photo frames of x_t (rescaled so brightness matches the photo) and of the
    predicted clean image, built up tile batch by tile batch."""

    def __init__(self, shape: tuple[int, int, int], steps: int) -> None:
        self._x_t = np.zeros((steps, *shape), np.float32)
        self._x0 = np.zeros((steps, *shape), np.float32)

    def add(self, index: int, tiles: list[Tile], x_t: torch.Tensor, x0: torch.Tensor) -> None:
        """Blend step `index` of a batch: x_t and x0 are (B, C, h, w) in [-1, 1] units, photo
        channels, one image per tile of `tiles`."""
        for canvas, images in ((self._x_t, x_t), (self._x0, x0)):
            values = ((images.float().cpu() + 1) / 2).permute(0, 2, 3, 1).numpy()
            for tile, tile_values in zip(tiles, values):
                blend_into(canvas[index], tile, tile_values)

    def frames(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(x_t frames, x0 frames), each a list of (H, W, C) uint8 per step."""
        return _to_uint8(self._x_t), _to_uint8(self._x0)


def recorder_for(wanted: bool, shape: tuple[int, int, int], steps: int, notes: list[str]) -> TrajectoryRecorder | None:
    """A recorder for a photo of `shape` (H, W, C) over `steps` steps if one is `wanted` and fits
    within MAX_PIXEL_STEPS; when it does not fit, None and a note for the user saying why."""
    if not wanted:
        return None
    height, width = shape[:2]
    if height * width * steps > MAX_PIXEL_STEPS:
        notes.append(
            f"no trajectory recorded: {width}x{height} px x {steps} steps is more than "
            f"{MAX_PIXEL_STEPS / 1e6:g} million pixel-steps"
        )
        return None
    return TrajectoryRecorder(shape, steps)


def _to_uint8(canvases: np.ndarray) -> list[np.ndarray]:
    return list((np.clip(canvases, 0, 1) * 255).round().astype(np.uint8))
