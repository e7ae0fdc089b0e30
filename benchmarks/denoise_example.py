"""The before/after pictures of docs/models.md: one held-out photo, Gaussian noise added, the
bundled denoiser with its own noise estimate at one or more strengths, and the original, side by
side with PSNRs.

    python benchmarks/denoise_example.py --photo ../shared/data/photos/skimage-coffee.png \
        --sigma 25 --out docs/images/denoise-example.png
    python benchmarks/denoise_example.py --photo ../shared/data/photos/mate-garden.png \
        --sigma 25 --crop 200 --strengths 0,0.5,1 --out docs/images/denoise-strength.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from engine.bench.denoise_quality import psnr
from engine.checkpoints import ModelStore, load_model
from engine.denoise import DenoiseSettings, Photo, denoise_photo, read_photo
from engine.imaging import save_png

CAPTION_HEIGHT = 24
GAP = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photo", type=Path, required=True)
    parser.add_argument("--model", default="photo-denoiser")
    parser.add_argument("--sigma", type=float, default=25.0, help="noise added, 0-255 units")
    parser.add_argument("--crop", type=int, default=256, help="center crop, pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strengths", default="0", help="comma-separated, one panel each (0 = one-step estimate)")
    parser.add_argument("--steps", type=int, default=10, help="DDIM steps at strength 1")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    pixels = read_photo(args.photo).pixels
    top, left = ((side - args.crop) // 2 for side in pixels.shape[:2])
    clean = pixels[top : top + args.crop, left : left + args.crop]
    noisy = clean + np.random.default_rng(args.seed).normal(0, args.sigma / 255, clean.shape).astype(np.float32)
    model = load_model(ModelStore().resolve(args.model))
    panels = [(f"noisy, sigma {args.sigma:g} ({psnr(clean, np.clip(noisy, 0, 1)):.1f} dB)", np.clip(noisy, 0, 1))]
    strengths = [float(value) for value in args.strengths.split(",")]
    for strength in strengths:
        settings = DenoiseSettings(strength=strength, steps=args.steps)
        result = denoise_photo(model, Photo(noisy, None, 8, None, "PNG", {}), settings)
        label = f"{args.model}, auto sigma" if len(strengths) == 1 else f"strength {strength:g}"
        panels.append((f"{label} ({psnr(clean, result.photo.pixels):.1f} dB)", result.photo.pixels))
    panels.append(("original", clean))
    save_png(args.out, side_by_side(panels))
    print(f"wrote {args.out} (estimated sigma {result.sigma:.1f})")


def side_by_side(panels: list[tuple[str, np.ndarray]]) -> Image.Image:
    """Captioned (H, W, 3) [0, 1] images in a row on white."""
    height, width = panels[0][1].shape[:2]
    sheet = Image.new("RGB", (len(panels) * (width + GAP) - GAP, height + CAPTION_HEIGHT), "white")
    draw = ImageDraw.Draw(sheet)
    for index, (caption, image) in enumerate(panels):
        x = index * (width + GAP)
        draw.text((x + 2, 5), caption, fill="black")
        sheet.paste(Image.fromarray((np.clip(image, 0, 1) * 255).round().astype(np.uint8)), (x, CAPTION_HEIGHT))
    return sheet


if __name__ == "__main__":
    main()
