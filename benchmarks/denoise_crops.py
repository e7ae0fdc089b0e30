"""Crops that show what the numbers of `engine bench denoise` look like: one held-out photo under
several noise conditions (rows), through several methods (columns), each crop enlarged with
nearest-neighbour so that blotches, colour noise and smearing are visible, captioned with its
PSNR. The methods run exactly as the benchmark ran them: the sigma and parameters tuned in that
run are read from its JSON.

    OMP_NUM_THREADS=1 python benchmarks/denoise_crops.py --results benchmarks/results/denoise-inputs.json \\
        --photo mate-ladybird.png --conditions "gaussian 25, 8-bit,gaussian 25, jpeg 90,camera high, png" \\
        --methods noisy,model-auto,ffdnet,bm3d --out docs/images/denoise-inputs.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from engine.bench.denoise_methods import select_methods
from engine.bench.denoise_quality import (
    clipped,
    bench_photos_dir,
    load_bench_photos,
    method_inputs,
    psnr,
)
from engine.bench.denoise_report import DenoiseBenchReport
from engine.bench.noise_conditions import make_noisy
from engine.checkpoints import ModelStore, load_model
from engine.denoise import DenoiseSettings
from engine.device import set_threads
from engine.imaging import save_png

CAPTION_HEIGHT = 16
GAP = 6


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, required=True, help="the benchmark run's --json file")
    parser.add_argument("--photo", required=True, help="a held-out photo of that run")
    parser.add_argument("--conditions", required=True, help="comma-separated condition names of that run")
    parser.add_argument("--methods", default="noisy,model-auto,ffdnet,bm3d")
    parser.add_argument("--model", default="photo-denoiser")
    parser.add_argument("--photos", type=Path, default=None)
    parser.add_argument("--crop", type=int, default=96, help="size of the region shown, pixels")
    parser.add_argument("--zoom", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    set_threads(1)

    report = DenoiseBenchReport.read_json(args.results)
    by_name = {condition.name: condition for condition in report.conditions()}
    wanted = _split_names(args.conditions, by_name)
    photo, = load_bench_photos(bench_photos_dir(args.photos), [args.photo], report.settings["crop"])
    model = load_model(ModelStore().resolve(args.model))
    methods = select_methods(args.methods.split(","), model, DenoiseSettings())
    rows = []
    for condition in wanted:
        noisy = make_noisy(photo, condition, report.settings["seed"])
        panels = []
        for method in methods:
            sigma, parameter = method_inputs(method, condition, noisy, report.tuned)
            output = clipped(method.run(noisy, sigma, parameter))
            panels.append((f"{method.name} {psnr(photo.clean, output):.2f} dB", output))
        panels.append(("clean", photo.clean))
        rows.append((condition.name, panels))
    save_png(args.out, sheet(rows, args.crop, args.zoom))
    print(f"wrote {args.out}")
    return 0


def _split_names(text: str, known: dict) -> list:
    """Condition names are comma-separated but contain commas themselves ("gaussian 25, 8-bit"):
    match the known names greedily from the left."""
    conditions, rest = [], text
    while rest:
        name = next((n for n in sorted(known, key=len, reverse=True) if rest.startswith(n)), None)
        if name is None:
            raise SystemExit(f"unknown condition at {rest!r}; the run has {', '.join(known)}")
        conditions.append(known[name])
        rest = rest[len(name):].lstrip(",").lstrip()
    return conditions


def sheet(rows: list[tuple[str, list[tuple[str, np.ndarray]]]], crop: int, zoom: int) -> Image.Image:
    """Each row's panels (centre `crop` pixels, enlarged `zoom` times) under a row title."""
    size = crop * zoom
    columns = len(rows[0][1])
    row_height = CAPTION_HEIGHT * 2 + size + GAP
    picture = Image.new("RGB", (columns * (size + GAP) - GAP, len(rows) * row_height), "white")
    draw = ImageDraw.Draw(picture)
    for r, (title, panels) in enumerate(rows):
        y = r * row_height
        draw.text((2, y + 2), title, fill="black")
        for c, (caption, image) in enumerate(panels):
            x = c * (size + GAP)
            draw.text((x + 2, y + CAPTION_HEIGHT + 2), caption, fill="black")
            top, left = ((side - crop) // 2 for side in image.shape[:2])
            region = (np.clip(image[top : top + crop, left : left + crop], 0, 1) * 255).round().astype(np.uint8)
            enlarged = Image.fromarray(region).resize((size, size), Image.Resampling.NEAREST)
            picture.paste(enlarged, (x, y + 2 * CAPTION_HEIGHT))
    return picture


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
