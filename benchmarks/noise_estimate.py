"""How well does the noise estimator read sigma on the held-out photos, as the benchmark feeds
them (unclipped float noise) and as a user's files hold them (clipped to [0, 1] and stored as 8
bits)? Prints a Markdown table of the RMS-over-channels estimate per photo.

    python benchmarks/noise_estimate.py --crop 512 --json benchmarks/results/noise-estimate.json

Noise and crops are those of `engine bench denoise` (same seeding).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from engine.atomic import atomic_write_text
from engine.bench.denoise_quality import PHOTOS_ENV, bench_photos_dir, default_split_file, load_bench_photos, photo_split
from engine.denoise import combined_sigma, estimate_noise_sigma


def stored_8bit(pixels: np.ndarray) -> np.ndarray:
    """What saving as an 8-bit file keeps of float pixels: clipped to [0, 1], rounded to 1/255."""
    return (np.round(np.clip(pixels, 0, 1) * 255) / 255).astype(np.float32)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=None,
                        help=f"photo folder (default: ${PHOTOS_ENV}, else ../shared/data/photos)")
    parser.add_argument("--split", type=Path, default=default_split_file())
    parser.add_argument("--sigmas", default="15,25,50")
    parser.add_argument("--crop", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    photos_dir = bench_photos_dir(args.photos)
    held_out, _ = photo_split(photos_dir, args.split)
    sigmas = [float(s) for s in args.sigmas.split(",")]
    rows = []
    for photo in load_bench_photos(photos_dir, held_out, args.crop):
        row = {"photo": photo.name, "clean": combined_sigma(estimate_noise_sigma(photo.clean))}
        for sigma in sigmas:
            noisy = photo.noisy(sigma, args.seed)
            row[f"unclipped {sigma:g}"] = combined_sigma(estimate_noise_sigma(noisy))
            row[f"8-bit {sigma:g}"] = combined_sigma(estimate_noise_sigma(stored_8bit(noisy)))
        rows.append(row)
    if args.json is not None:
        atomic_write_text(args.json, json.dumps({"crop": args.crop, "seed": args.seed, "rows": rows}, indent=1) + "\n")
    columns = [key for key in rows[0] if key != "photo"]
    print("| photo | " + " | ".join(columns) + " |\n| --- |" + " ---: |" * len(columns))
    for row in rows:
        print(f"| {row['photo']} | " + " | ".join(f"{row[key]:.2f}" for key in columns) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
