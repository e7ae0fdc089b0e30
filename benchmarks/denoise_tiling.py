"""Which tile size and overlap to denoise with: PSNR and CPU seconds per megapixel of the
photo-denoiser for several tilings, measured on TRAINING photos (never the held-out ones, which
`engine bench denoise` scores), so the auto tiling is not tuned on the benchmark.

    OMP_NUM_THREADS=1 python benchmarks/denoise_tiling.py --configs 256/32,64/16,64/24,64/32 \\
        --sigmas 25,50 --crop 256 --max-photos 8 --json benchmarks/results/denoise-tiling.json

Noise, crops and scoring are those of `engine bench denoise` (same seeding); the model is told
the true sigma. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from engine.atomic import atomic_write_text
from engine.bench.denoise_methods import run_model
from engine.bench.denoise_quality import PHOTOS_ENV, bench_photos_dir, default_split_file, load_bench_photos, photo_split, psnr
from engine.checkpoints import ModelStore, load_model
from engine.denoise import DenoiseSettings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="photo-denoiser")
    parser.add_argument("--photos", type=Path, default=None,
                        help=f"photo folder (default: ${PHOTOS_ENV}, else ../shared/data/photos)")
    parser.add_argument("--split", type=Path, default=default_split_file(),
                        help="JSON file whose \"held_out\" photos are left out")
    parser.add_argument("--configs", default="256/32,64/16,64/24,64/32",
                        help="tile/overlap pairs in pixels, or auto (the engine's own choice: fitted to the photo "
                             "for a network that sees only nearby pixels)")
    parser.add_argument("--sigmas", default="25,50")
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--max-photos", type=int, default=8, help="evenly spaced training photos")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    photos_dir = bench_photos_dir(args.photos)
    _, training = photo_split(photos_dir, args.split)
    names = [training[i] for i in np.linspace(0, len(training) - 1, min(args.max_photos, len(training))).round().astype(int)]
    photos = load_bench_photos(photos_dir, names, args.crop)
    model = load_model(ModelStore().resolve(args.model))
    configs = [(None, None) if pair == "auto" else tuple(int(part) for part in pair.split("/"))
               for pair in args.configs.split(",")]
    rows = []
    for sigma in (float(s) for s in args.sigmas.split(",")):
        for tile, overlap in configs:
            settings = DenoiseSettings(sigma=sigma, tile_size=tile, tile_overlap=overlap)
            scores, seconds = [], 0.0
            for photo in photos:
                noisy = photo.noisy(sigma, args.seed)
                start = time.process_time()
                output = np.clip(run_model(model, noisy, settings).photo.pixels, 0, 1)
                seconds += time.process_time() - start
                scores.append(psnr(photo.clean, output))
            megapixels = sum(photo.megapixels for photo in photos)
            rows.append({"sigma": sigma, "tile": tile, "overlap": overlap, "psnr": float(np.mean(scores)),
                         "cpu_seconds_per_megapixel": seconds / megapixels})
            print(f"sigma {sigma:g} tile {tile or 'auto'}/{overlap or 'auto'}: {rows[-1]['psnr']:.3f} dB", file=sys.stderr)
    report = {"model": args.model, "photos": names, "crop": args.crop, "seed": args.seed, "rows": rows}
    atomic_write_text(args.json, json.dumps(report, indent=1) + "\n")
    print("| σ | tile / overlap (px) | PSNR (dB) | CPU s / MP |\n| ---: | --- | ---: | ---: |")
    for row in rows:
        tiling = "auto" if row["tile"] is None else f"{row['tile']} / {row['overlap']}"
        print(f"| {row['sigma']:g} | {tiling} | {row['psnr']:.3f} | {row['cpu_seconds_per_megapixel']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
