"""Saving a recorded denoising run as an animation: x_t beside the predicted clean image, per
step, ending on the result (the same frame layout as generation trajectories)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.denoise.denoising import DenoiseResult
from engine.denoise.packed_photo import as_photo, quantize
from engine.errors import ConfigError
from engine.imaging import save_animation, to_pil
from engine.trajectory import trajectory_frame


def save_denoise_animation(path: Path, result: DenoiseResult) -> Path:
    """Animated GIF or WebP (by suffix) of `result`'s trajectory; needs keep_trajectory, within
    trajectory_recorder's MAX_PIXEL_STEPS (pixels x steps) bound."""
    if not result.trajectory_x_t:
        raise ConfigError("no trajectory was recorded (needs keep_trajectory, and a photo small enough for its "
                          "per-step frames to fit the recorder's memory bound)")
    final = quantize(as_photo(result.photo).pixels, np.uint8)
    pairs = [*zip(result.trajectory_x_t, result.trajectory_x0), (final, final)]
    save_animation(path, [to_pil(trajectory_frame(x_t[None], x0[None])) for x_t, x0 in pairs])
    return path
