"""numpy pixel helpers for the views (no Qt): difference maps, batch sheets (enlarging is
`engine.imaging`'s, shared with what the engine saves).

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


def batch_sheet(images: np.ndarray) -> np.ndarray:
    """(N, H, W, C) -> one sheet; a single image is returned as is (no white border)."""
    return images[0] if len(images) == 1 else grid(images)
