"""Draw the application icon, resources/icons/cunet-studio.png (256 px, RGBA).

The picture is the product in one glyph: a "U" (the U-Net) whose stroke starts as scattered noise
at the top of its left arm and comes out solid at the top of its right arm, the way the reverse
process turns noise into an image. Drawn from code so it can be changed and redrawn exactly.

    python scripts/make_app_icon.py
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageColor

from app.shell.brand_colours import GRADIENT_BOTTOM, GRADIENT_TOP
from engine.atomic import atomic_write_bytes

CANVAS = 1024  # drawn large, then shrunk: the shrink turns the noise dots into soft speckle
OUT_SIDE = 256
OUT = Path(__file__).resolve().parent.parent / "resources" / "icons" / "cunet-studio.png"
TOP, BOTTOM = ImageColor.getrgb(GRADIENT_TOP), ImageColor.getrgb(GRADIENT_BOTTOM)


def rounded_square(side: int, radius: int) -> np.ndarray:
    """Boolean mask of a square with rounded corners."""
    y, x = np.mgrid[0:side, 0:side] + 0.5
    dx = np.maximum(np.maximum(radius - x, x - (side - radius)), 0)
    dy = np.maximum(np.maximum(radius - y, y - (side - radius)), 0)
    return dx**2 + dy**2 <= radius**2


def u_stroke(side: int) -> tuple[np.ndarray, np.ndarray]:
    """(mask of the U's stroke, position along it from 0 at the left top to 1 at the right top)."""
    y, x = np.mgrid[0:side, 0:side] + 0.5
    left, right, top, bend = 0.30 * side, 0.70 * side, 0.22 * side, 0.58 * side
    centre, radius, half_width = (left + right) / 2, (right - left) / 2, 0.065 * side
    straight = y <= bend
    # Distance to the centre line: the two arms above the bend, the half circle below it.
    arm_distance = np.minimum(np.abs(x - left), np.abs(x - right))
    arc_distance = np.abs(np.hypot(x - centre, y - bend) - radius)
    mask = np.where(straight, (arm_distance <= half_width) & (y >= top), arc_distance <= half_width)
    arm_length, arc_length = bend - top, np.pi * radius
    total = 2 * arm_length + arc_length
    along_left = (y - top) / total
    along_right = (arm_length + arc_length + (bend - y)) / total
    angle = np.arctan2(y - bend, centre - x).clip(0, np.pi)  # 0 at the left end of the arc, pi at the right
    along_arc = (arm_length + angle / np.pi * arc_length) / total
    along = np.where(straight, np.where(x < centre, along_left, along_right), along_arc)
    return mask, along.clip(0, 1)


def draw_icon(seed: int = 7) -> Image.Image:
    rng = np.random.default_rng(seed)
    side = CANVAS
    fraction = np.linspace(0, 1, side)[:, None, None]
    background = (1 - fraction) * np.array(TOP) + fraction * np.array(BOTTOM)
    pixels = np.broadcast_to(background, (side, side, 3)).copy()
    stroke, along = u_stroke(side)
    # Noise at the start of the stroke, solid at its end: each pixel is drawn with a probability
    # that grows along the stroke; stray dots around the noisy end are the noise it came from.
    solid = rng.random((side, side)) < np.clip(along * 1.5 - 0.05, 0.08, 1)
    near_start = (along < 0.35) & ~stroke & (rng.random((side, side)) < 0.03)
    ink = (stroke & solid) | (near_start & _near(stroke, side))
    pixels[ink] = (255, 255, 255)
    alpha = np.where(rounded_square(side, int(0.2 * side)), 255, 0)
    image = Image.fromarray(np.dstack([pixels, alpha]).astype(np.uint8), "RGBA")
    return image.resize((OUT_SIDE, OUT_SIDE), Image.Resampling.LANCZOS)


def _near(mask: np.ndarray, side: int) -> np.ndarray:
    """Pixels within a stroke's width of `mask` (a cheap dilation by shifting)."""
    reach = int(0.06 * side)
    near = mask.copy()
    for shift in range(-reach, reach + 1, max(1, reach // 6)):
        near |= np.roll(mask, shift, axis=1) | np.roll(mask, shift, axis=0)
    return near


def main() -> None:
    buffer = io.BytesIO()
    draw_icon().save(buffer, format="PNG", optimize=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(OUT, buffer.getvalue())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
