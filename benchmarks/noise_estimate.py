"""How well does the engine read the noise level of the held-out photos, under the noise
conditions of `engine bench denoise` (as the literature adds noise, and as users' files hold it)?
Per photo and condition: the true level (the RMS of the noise std before storage, 0-255 units),
the engine's estimate (`estimate_noise_levels(...).overall`, told whether the photo came from a
lossy JPEG, as `denoise_photo` does) and the old finest-scale estimate
(`combined_sigma(estimate_noise_sigma(...))`); and both estimates on the clean photo, as it is
and stored as a JPEG of quality 90 (most photos users have: a clean JPEG should read near 0 too).
Prints a Markdown table.

    python benchmarks/noise_estimate.py --crop 512 --json benchmarks/results/noise-estimate.json

Photos, crops and noise are those of `engine bench denoise` with the same --inputs, --sigmas and
--seed (`engine.bench.noise_conditions`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from engine.atomic import atomic_write_text
from engine.bench.denoise_quality import PHOTOS_ENV, bench_photos_dir, default_split_file, load_bench_photos, photo_split
from engine.bench.noise_conditions import INPUT_KINDS, clean_as_jpeg, conditions_for, make_noisy, ordered_kinds
from engine.denoise import combined_sigma, estimate_noise_levels, estimate_noise_sigma

CLEAN = "clean (no noise added)"
COLUMNS = ("true", "estimate", "finest scale")


def estimates(pixels: np.ndarray, lossy_jpeg: bool) -> dict[str, float]:
    """The engine's estimate and the old finest-scale one of `pixels` (H, W, 3) in [0, 1] units."""
    return {"estimate": estimate_noise_levels(pixels, lossy_jpeg).overall,
            "finest scale": combined_sigma(estimate_noise_sigma(pixels))}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=None,
                        help=f"photo folder (default: ${PHOTOS_ENV}, else ../shared/data/photos)")
    parser.add_argument("--split", type=Path, default=default_split_file())
    parser.add_argument("--inputs", default=",".join(INPUT_KINDS), help="input kinds, comma-separated")
    parser.add_argument("--sigmas", default="15,25,50")
    parser.add_argument("--crop", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    photos_dir = bench_photos_dir(args.photos)
    held_out, _ = photo_split(photos_dir, args.split)
    kinds = ordered_kinds(args.inputs.split(","))
    sigmas = [float(s) for s in args.sigmas.split(",")]
    conditions = conditions_for(kinds, sigmas)
    rows = []
    for photo in load_bench_photos(photos_dir, held_out, args.crop):
        rows.append({"photo": photo.name, "condition": CLEAN, "kind": None, "true": 0.0}
                    | estimates(photo.clean, lossy_jpeg=False))
        for condition in (clean_as_jpeg(90), *conditions):
            noisy = make_noisy(photo, condition, args.seed)
            rows.append({"photo": photo.name, "condition": condition.name, "kind": condition.kind,
                         "true": noisy.true_sigma} | estimates(noisy.pixels, noisy.lossy_jpeg))
    if args.json is not None:
        settings = {"crop": args.crop, "seed": args.seed, "kinds": kinds, "sigmas": sigmas}
        atomic_write_text(args.json, json.dumps(settings | {"rows": rows}, indent=1) + "\n")
    print("| photo | condition | " + " | ".join(COLUMNS) + " |\n| --- | --- |" + " ---: |" * len(COLUMNS))
    for row in rows:
        print(f"| {row['photo']} | {row['condition']} | " + " | ".join(f"{row[key]:.2f}" for key in COLUMNS) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
