"""Conversions between engine tensors ([-1, 1], (N, C, H, W)) and 8-bit images at the edges,
plus PNG/GIF/WebP writing (atomic) and contact sheets."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image, PngImagePlugin

from engine.atomic import atomic_write_bytes


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> (N, H, W, C) uint8."""
    scaled = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round()
    return scaled.to(torch.uint8).permute(0, 2, 3, 1).numpy()


def to_pil(array: np.ndarray) -> Image.Image:
    """(H, W, C) uint8 with C in {1, 3} -> PIL image (L or RGB)."""
    return Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)


def grid(arrays: np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile (N, H, W, C) uint8 images into one (rows*H, columns*W, C) sheet on a white ground."""
    count, height, width, channels = arrays.shape
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    rows = math.ceil(count / columns)
    sheet = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels), 255, np.uint8
    )
    for index, image in enumerate(arrays):
        r, c = divmod(index, columns)
        top, left = padding + r * (height + padding), padding + c * (width + padding)
        sheet[top : top + height, left : left + width] = image
    return sheet


def save_png(path: Path, image: Image.Image, text: dict[str, str] | None = None) -> None:
    """Atomic PNG write with optional tEXt chunks (generation settings travel with the image)."""
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    atomic_write_bytes(path, buffer.getvalue())


def save_animation(path: Path, frames: list[Image.Image], frame_ms: int = 80) -> None:
    """Animated GIF or WebP (by suffix), last frame held longer so the result is visible."""
    fmt = {".gif": "GIF", ".webp": "WEBP"}.get(path.suffix.lower())
    if fmt is None:
        raise ValueError("animations are written as .gif or .webp")
    durations = [frame_ms] * (len(frames) - 1) + [frame_ms * 15]
    buffer = io.BytesIO()
    frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    atomic_write_bytes(path, buffer.getvalue())
