"""Copy the training data of the bundled models into one folder small enough to send to a lent GPU
machine, leaving every pixel the engine reads unchanged.

    python scripts/stage_training_data.py ../shared/data .gpudata --only photo-denoiser

The lent machine takes at most 64 MiB of working tree in all, and the repository alone is about
51 MB (the bundled weights), so only some jobs' data fit in one call: stage the data of the jobs
that call will run (`--only`, the job names of scripts/train_bundled_models.sh) and read the total
this prints. What each job reads:

- photo-denoiser: photos-train/, the photos of `photos/` except the held-out ones of
  benchmarks/photo_split.json, so the photo denoiser never sees the benchmark's photos (14.8 MB);
- fashion: fashion-mnist-train.npz, only Fashion-MNIST's training arrays, images and labels (the
  test half is not trained on; 26.4 MB: more than one call can carry beside the repository);
- digits: mnist-digits-10k.npz, emoji: noto-emoji-64.npz, copied as they are (1.6 and 12.1 MB).

Every label array goes along (`labels`, `train_labels`, `categories`): class-conditional training
(`engine train --classes`) reads its classes from them.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

SPLIT_FILE = Path(__file__).resolve().parents[1] / "benchmarks" / "photo_split.json"
JOBS = ("photo-denoiser", "fashion", "digits", "emoji")
COPIED = {"digits": "mnist-digits-10k.npz", "emoji": "noto-emoji-64.npz"}


def held_out_photos() -> set[str]:
    return set(json.loads(SPLIT_FILE.read_text("utf-8"))["held_out"])


def stage_photos(source: Path, dest: Path) -> Path:
    photos = dest / "photos-train"
    photos.mkdir(parents=True, exist_ok=True)
    held_out = held_out_photos()
    for path in sorted((source / "photos").glob("*.png")):
        if path.name not in held_out:
            shutil.copy2(path, photos / path.name)
    return photos


def stage_fashion(source: Path, dest: Path) -> Path:
    with np.load(source / "fashion-mnist.npz") as fashion:
        np.savez_compressed(dest / "fashion-mnist-train.npz",
                            train_images=fashion["train_images"], train_labels=fashion["train_labels"])
    return dest / "fashion-mnist-train.npz"


def stage(job: str, source: Path, dest: Path) -> Path:
    if job == "photo-denoiser":
        return stage_photos(source, dest)
    if job == "fashion":
        return stage_fashion(source, dest)
    return Path(shutil.copy2(source / COPIED[job], dest / COPIED[job]))


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="the shared data folder")
    parser.add_argument("dest", type=Path)
    parser.add_argument("--only", default=",".join(JOBS),
                        help=f"comma-separated jobs whose data to stage (default: all of {', '.join(JOBS)})")
    args = parser.parse_args()
    jobs = args.only.split(",")
    unknown = sorted(set(jobs) - set(JOBS))
    if unknown:
        parser.error(f"unknown job {', '.join(unknown)} (jobs: {', '.join(JOBS)})")
    args.dest.mkdir(parents=True, exist_ok=True)
    total = 0
    for job in jobs:
        staged = stage(job, args.source, args.dest)
        size = size_of(staged)
        total += size
        print(f"{job}: {staged} ({size / 1e6:.1f} MB)")
    print(f"{total / 1e6:.1f} MB in {args.dest}")


if __name__ == "__main__":
    main()
