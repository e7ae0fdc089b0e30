"""numpy pixel helpers for the views (no Qt): difference maps, upscaling, batch sheets.

Inputs and outputs are (H, W, C) arrays; uint8 unless stated.
"""

from __future__ import annotations

import numpy as np

from engine.imaging import grid


def difference_image(before: np.ndarray, after: np.ndarray, gain: float) -> np.ndarray:
    """|after - before| * gain as uint8: what denoising changed, made visible. Pure noise removal
    looks like uniform grain; structure here means the model altered detail."""
    diff = np.abs(after.astype(np.int16) - before.astype(np.int16)).astype(np.float32) * gain
    return np.clip(diff, 0, 255).astype(np.uint8)


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """Every pixel repeated `factor` x `factor` times (nearest-neighbour, stays crisp)."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def upscale_nearest(image: np.ndarray, min_side: int) -> np.ndarray:
    """Enlarge by the smallest whole factor that makes the shorter side >= min_side."""
    return enlarge(image, max(1, -(-min_side // min(image.shape[:2]))))


def batch_sheet(images: np.ndarray) -> np.ndarray:
    """(N, H, W, C) -> one sheet; a single image is returned as is (no white border)."""
    return images[0] if len(images) == 1 else grid(images)
