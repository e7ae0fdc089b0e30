"""Copy the training data of the bundled models into one folder small enough to send to a lent GPU
machine (its working-tree limit is 64 MiB), leaving every pixel the engine reads unchanged.

    python scripts/stage_training_data.py ../shared/data .gpudata

- photos-train/: the photos of `photos/` except the held-out ones of benchmarks/photo_split.json,
  so the photo-denoiser never sees the benchmark's photos;
- fashion-mnist-train.npz: only Fashion-MNIST's training arrays, images and labels (the test half is
  not trained on);
- mnist-digits-10k.npz and noto-emoji-64.npz: copied as they are.

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
COPIED = ("mnist-digits-10k.npz", "noto-emoji-64.npz")


def held_out_photos() -> set[str]:
    return set(json.loads(SPLIT_FILE.read_text("utf-8"))["held_out"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="the shared data folder")
    parser.add_argument("dest", type=Path)
    args = parser.parse_args()
    photos = args.dest / "photos-train"
    photos.mkdir(parents=True, exist_ok=True)
    held_out = held_out_photos()
    kept = [p for p in sorted((args.source / "photos").glob("*.png")) if p.name not in held_out]
    for path in kept:
        shutil.copy2(path, photos / path.name)
    for name in COPIED:
        shutil.copy2(args.source / name, args.dest / name)
    with np.load(args.source / "fashion-mnist.npz") as fashion:
        np.savez_compressed(args.dest / "fashion-mnist-train.npz",
                            train_images=fashion["train_images"], train_labels=fashion["train_labels"])
    print(f"{len(kept)} training photos ({len(held_out)} held out) and {len(COPIED) + 1} array files in {args.dest}")


if __name__ == "__main__":
    main()
