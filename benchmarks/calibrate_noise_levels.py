"""How well `engine.denoise.noise_levels` reads the noise a photo had before it was stored, on
TRAINING photos only (the held-out ones of benchmarks/photo_split.json are never read), and the
share of it that JPEG keeps (its JPEG_NOISE_KEPT).

    python benchmarks/calibrate_noise_levels.py --json benchmarks/results/noise-calibration.json

Each training photo (centre crop) is noised under every condition: white Gaussian noise of the
SIGMAS and camera noise (`engine.noise.camera`, a typical sensor) of the SHOTS, stored as 8 bits,
as they are or as JPEG of the QUALITIES. The truth, per channel and brightness band, is the noise
std before storage: sigma, or the camera model's std map averaged over the band's pixels. Per
condition the table gives the geometric mean over bands of reading / truth: the finest scale
alone (the old estimate) and the engine's estimate (JPEG scaled back by its JPEG_NOISE_KEPT). The
JPEG share kept is the geometric mean of the estimate before that scaling / truth over the JPEG conditions
whose true level averages at least FIT_MIN_SIGMA (below it the photo's own texture outweighs the
noise, and too little noise to matter is left).
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

import numpy as np
import torch

from engine.atomic import atomic_write_text
from engine.bench.denoise_quality import PHOTOS_ENV, bench_photos_dir, default_split_file, load_bench_photos, photo_split
from engine.denoise.noise_levels import INTENSITY_BINS, JPEG_NOISE_KEPT, estimate_noise_levels, local_mean
from engine.noise import CameraNoise, add_camera_noise, jpeg_round_trip, to_8bit

SIGMAS = (2.0, 5.0, 10.0, 15.0, 25.0, 35.0, 50.0, 75.0)
SHOTS = (3e-4, 1e-3, 3e-3, 1e-2, 2e-2)
QUALITIES = (None, 95, 90, 80, 70)
FIT_MIN_SIGMA = 10.0


def conditions(clean: torch.Tensor, generator: torch.Generator):
    """(name, JPEG quality or None, stored noisy (3, H, W), true level map (3, H, W) in 0-255
    units) for every condition."""
    for sigma in SIGMAS:
        noisy = to_8bit(clean + sigma / 255 * torch.randn(clean.shape, generator=generator))
        for quality in QUALITIES:
            yield f"gaussian {sigma:g}", quality, _stored(noisy, quality), torch.full_like(clean, sigma)
    for shot in SHOTS:
        sensor = CameraNoise.with_typical_read_noise(shot)
        noisy = to_8bit(add_camera_noise(clean, sensor, generator))
        for quality in QUALITIES:
            yield f"camera {shot:g}", quality, _stored(noisy, quality), sensor.std_map(clean) * 255


def _stored(noisy: torch.Tensor, quality: int | None) -> torch.Tensor:
    return noisy if quality is None else jpeg_round_trip(noisy, quality)


def band_truth(truth: np.ndarray, clean: np.ndarray) -> np.ndarray:
    """(C, K): the true level averaged over each brightness band's pixels (NaN for empty bands)."""
    bands = np.digitize(local_mean(clean), INTENSITY_BINS[1:-1])
    out = np.full((truth.shape[2], len(INTENSITY_BINS) - 1), np.nan)
    for c in range(truth.shape[2]):
        for band in range(out.shape[1]):
            inside = bands[:, :, c] == band
            if inside.any():
                out[c, band] = truth[:, :, c][inside].mean()
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=None,
                        help=f"photo folder (default: ${PHOTOS_ENV}, else ../shared/data/photos)")
    parser.add_argument("--split", type=Path, default=default_split_file())
    parser.add_argument("--count", type=int, default=12, help="training photos, evenly spaced in name order")
    parser.add_argument("--crop", type=int, default=384)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    photos_dir = bench_photos_dir(args.photos)
    _, training = photo_split(photos_dir, args.split)
    names = training[:: max(1, len(training) // args.count)][: args.count]
    finest, larger, fitted = {}, {}, []
    for photo in load_bench_photos(photos_dir, names, args.crop):
        clean = torch.from_numpy(photo.clean).permute(2, 0, 1)
        generator = torch.Generator().manual_seed(args.seed * 1_000_003 + zlib.crc32(photo.name.encode()))
        for kind, quality, stored, truth in conditions(clean, generator):
            name = f"{kind}, {'png' if quality is None else f'jpeg {quality}'}"
            levels = estimate_noise_levels(stored.permute(1, 2, 0).numpy())  # as a PNG: no JPEG scaling
            readings = levels.readings  # (C, K, S)
            expected = band_truth(truth.permute(1, 2, 0).numpy(), photo.clean)
            usable = np.isfinite(readings).all(axis=2) & np.isfinite(expected)
            log_truth = np.log(expected[usable])
            finest.setdefault(name, []).append(np.log(np.maximum(readings[usable][:, 0], 1e-3)) - log_truth)
            larger_logs = np.log(np.maximum(levels.sigmas[usable], 1e-3)) - log_truth
            larger.setdefault(name, []).append(larger_logs)
            if quality is not None and float(np.mean(expected[usable])) >= FIT_MIN_SIGMA:
                fitted.append(larger_logs)
        print(f"{photo.name} done", file=sys.stderr)
    kept = float(np.exp(np.mean(np.concatenate(fitted))))
    rows = {}
    for name in finest:
        scale_back = 1.0 if name.endswith("png") else JPEG_NOISE_KEPT
        rows[name] = {"finest scale / truth": float(np.exp(np.mean(np.concatenate(finest[name])))),
                      "estimate / truth": float(np.exp(np.mean(np.concatenate(larger[name])))) / scale_back}
    result = {"photos": names, "crop": args.crop, "seed": args.seed, "jpeg noise kept (fitted)": round(kept, 3),
              "jpeg scale-back (in the engine)": JPEG_NOISE_KEPT, "conditions": rows}
    if args.json is not None:
        atomic_write_text(args.json, json.dumps(result, indent=1) + "\n")
    print(f"JPEG keeps {kept:.3f} of the noise level (the engine scales back by {JPEG_NOISE_KEPT}, see its comment)")
    print("| condition | finest scale / truth | estimate / truth |\n| --- | ---: | ---: |")
    for name, row in rows.items():
        print(f"| {name} | {row['finest scale / truth']:.2f} | {row['estimate / truth']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
