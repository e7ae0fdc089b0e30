"""Conversions between engine tensors ([-1, 1], (N, C, H, W)) and 8-bit images at the edges,
plus PNG/GIF/WebP writing (atomic), contact sheets, whole-pixel enlarging and labels.

Pixel-space models make tiny pictures (a grid of 16 digits is 122 px), so what is saved for people
to look at is enlarged by whole-pixel repetition to at least SAVED_MIN_WIDTH: crisp, not blurred,
and the pixels the model made stay countable."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from engine.atomic import atomic_write_bytes

SAVED_MIN_WIDTH = 512  # saved grids, sheets and animations are enlarged to at least this width
LABEL_FONT_SIZE = 14
LABEL_GAP = 6  # pixels around a label


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


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """(H, W, C) with every pixel repeated `factor` x `factor` times (nearest-neighbour, stays crisp)."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def upscale_nearest(image: np.ndarray, min_side: int = 0, min_width: int = 0) -> np.ndarray:
    """Enlarge (H, W, C) by the smallest whole factor that makes the shorter side >= min_side and
    the width >= min_width (an image already that large keeps its size)."""
    height, width = image.shape[:2]
    return enlarge(image, max(1, -(-min_side // min(height, width)), -(-min_width // width)))


def with_labels(sheet: np.ndarray, row_labels: list[str], column_labels: list[str]) -> np.ndarray:
    """(H, W, C) uint8 `sheet` in a white margin holding black labels: row_labels left of as many
    equal horizontal bands, column_labels above as many equal vertical bands (Pillow's default
    font). Bands match the rows and columns of a `grid` to within its padding."""
    font = ImageFont.load_default(size=LABEL_FONT_SIZE)
    height, width = sheet.shape[:2]
    text_height = max(font.getbbox(text)[3] for text in [*row_labels, *column_labels, "Ag"])
    left = max((int(font.getlength(text)) for text in row_labels), default=0) + 2 * LABEL_GAP
    top = text_height + 2 * LABEL_GAP if column_labels else 0
    image = to_pil(sheet)
    canvas = Image.new(image.mode, (left + width, top + height), "white")
    canvas.paste(image, (left, top))
    draw = ImageDraw.Draw(canvas)
    for index, text in enumerate(row_labels):
        middle = top + (index + 0.5) * height / len(row_labels)
        draw.text((LABEL_GAP, middle - text_height / 2), text, fill="black", font=font)
    for index, text in enumerate(column_labels):
        middle = left + (index + 0.5) * width / len(column_labels)
        draw.text((middle - font.getlength(text) / 2, LABEL_GAP), text, fill="black", font=font)
    array = np.asarray(canvas)
    return array[:, :, None] if array.ndim == 2 else array


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
