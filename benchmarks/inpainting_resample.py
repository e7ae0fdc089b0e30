"""What RePaint resampling buys when inpainting: harmony of the regenerated part with the kept
part, against the CPU time it costs.

    OMP_NUM_THREADS=1 python benchmarks/inpainting_resample.py -n 200 --masks bottom,centre \
        --out benchmarks/results/inpainting-resample-digits-cpu.json

Held-out digits (the bundled digits model's own validation split: 500 MNIST images it never
trained on, as `engine train` split them with its defaults, fraction 0.05 and seed 0) are
masked (top, bottom or left half, or a centre square regenerated) and inpainted with ddpm at
the model's recommended step count, from pure noise in the mask (strength 1, the CLI's
default with --mask), once per resample count U; and once without resampling on twice the
steps (`1@100`), as many network calls as U = 2, so that a gain of resampling is not taken
for a gain of more calls. Harmony is measured by the frozen digits classifier
(benchmarks/classifiers/digits): the share of inpainted digits it reads as the original's
label, and its mean probability for that label. A seam that does not continue the kept
strokes, or a bottom half from another digit, lowers both. For scale, each mask also gets
the classifier on the kept pixels alone (regenerated region black, the background), and the
untouched originals are scored once. Every run inpaints the same images with the same seeds,
so runs differ only by their settings, and each counts the images it got right that the
mask's first run got wrong and the other way round, with the exact McNemar p-value of that
split. Time is CPU seconds of this process per image (`time.process_time`), which a busy
machine inflates less than wall time.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from engine.atomic import atomic_write_text
from engine.checkpoints import LoadedModel, ModelStore, load_model
from engine.data import NpzImageDataset, split_train_validation
from engine.device import resolve_device, set_threads
from engine.evaluation import FeatureClassifier, load_classifier
from engine.paths import benchmarks_dir, shared_data_dir
from engine.sampling import sample_ddpm, sampling_timesteps
from engine.sampling.known_pixels import KnownPixels
from engine.steering import start_step, starting_x

DATA = "mnist-digits-10k.npz"
TRAINING_VALIDATION = (0.05, 0)  # engine train's default --val-fraction and --seed, which the digits model used
MASKS = ("top", "bottom", "left", "centre")


def regenerated_region(name: str, size: int) -> torch.Tensor:
    """(1, size, size) mask, 1 = regenerate: a half of the image, or a centre square of half its side."""
    mask = torch.zeros(1, size, size)
    half, quarter = size // 2, size // 4
    region = {"top": (slice(0, half), slice(None)), "bottom": (slice(half, None), slice(None)),
              "left": (slice(None), slice(0, half)),
              "centre": (slice(quarter, size - quarter), slice(quarter, size - quarter))}[name]
    mask[(slice(None), *region)] = 1
    return mask


def held_out_digits(model: LoadedModel, count: int, data: Path) -> tuple[torch.Tensor, np.ndarray]:
    """The first `count` images of the model's validation split, (N, 1, S, S) in [-1, 1], and labels."""
    dataset = NpzImageDataset(data, model.spec.image_size, model.spec.channels, hflip=False)
    _, validation = split_train_validation(dataset, *TRAINING_VALIDATION)
    indices = validation.indices[:count]
    images = torch.stack([dataset.load(i) for i in indices])
    return images, np.asarray(dataset.labels)[indices].astype(int)


def inpaint(model: LoadedModel, images: torch.Tensor, mask: torch.Tensor, resample: int, steps: int,
            seed: int) -> torch.Tensor:
    """Image i inpainted from its own stream seed + i, as `generate` draws it: noise first."""
    generators = [torch.Generator().manual_seed(seed + i) for i in range(len(images))]
    noise = torch.stack([torch.randn(images.shape[1:], generator=g) for g in generators])
    start = start_step(1.0, model.schedule.max_step)
    x = starting_x(model.schedule, images, noise, start)
    denoiser = KnownPixels(model.denoiser(), images, mask)
    with torch.inference_mode():
        return sample_ddpm(denoiser, x, sampling_timesteps(start, steps), generator=generators, resample=resample)


def label_probabilities(classifier: FeatureClassifier, images: torch.Tensor, labels: np.ndarray) -> np.ndarray:
    """(N, classes) softmax of the classifier for images as they would be saved (8-bit)."""
    quantised = ((images.cpu().clamp(-1, 1) + 1) * 127.5).round() / 127.5 - 1
    with torch.no_grad():
        return classifier(quantised).softmax(1).numpy()


def harmony(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Share read as the original's label, and the mean probability of that label."""
    return {"accuracy": round(float((probabilities.argmax(1) == labels).mean()), 4),
            "p(label)": round(float(probabilities[np.arange(len(labels)), labels].mean()), 4)}


def paired_change(before: np.ndarray, after: np.ndarray) -> dict[str, float]:
    """Images the change made right and made wrong (same images, same seeds), with the exact
    two-sided McNemar p-value: how likely so lopsided a split is if the change did nothing."""
    fixed, broken = int((~before & after).sum()), int((before & ~after).sum())
    split = fixed + broken
    tail = sum(math.comb(split, k) for k in range(min(fixed, broken) + 1)) / 2**split if split else 1.0
    return {"fixed": fixed, "broken": broken, "p": round(min(1.0, 2 * tail), 4)}


def parse_runs(text: str, steps: int) -> list[tuple[int, int]]:
    """(resample, steps) per run: "1,2,1@100" -> [(1, steps), (2, steps), (1, 100)]."""
    runs = []
    for item in text.split(","):
        resample, _, run_steps = item.partition("@")
        runs.append((int(resample), int(run_steps) if run_steps else steps))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="digits")
    parser.add_argument("-n", "--count", type=int, default=200, help="held-out images (at most 500)")
    parser.add_argument("--masks", default=",".join(MASKS), help=f"comma-separated, of {', '.join(MASKS)}")
    parser.add_argument("--runs", default="1,2,5,1@100",
                        help="comma-separated resample counts U, each optionally @steps (default: the model's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data", type=Path, default=shared_data_dir() / DATA)
    parser.add_argument("--out", type=Path, required=True, help="JSON file of result rows")
    args = parser.parse_args()

    set_threads(args.threads)
    model = load_model(ModelStore().resolve(args.model), resolve_device(args.device))
    classifier, info = load_classifier(benchmarks_dir() / "classifiers" / str(model.spec.card["eval_classifier"]))
    _, steps = model.spec.recommended_sampler()  # resampling is defined for ddpm only: the step count is taken
    images, labels = held_out_digits(model, args.count, args.data)
    labels = np.array([info.classes.index(str(label)) for label in labels])
    images = images.to(model.device)
    results = {"model": args.model, "count": len(images), "sampler": "ddpm", "steps": steps, "seed": args.seed,
               "threads": torch.get_num_threads(), "device": str(model.device),
               "originals": harmony(label_probabilities(classifier, images, labels), labels), "rows": []}
    inpaint(model, images[:2], regenerated_region("centre", images.shape[-1]), 1, 2, args.seed)  # warm-up
    for mask_name in args.masks.split(","):
        mask = regenerated_region(mask_name, images.shape[-1]).to(model.device)
        kept_only = images * (1 - mask) - mask  # the regenerated region left black
        results["rows"].append({"mask": mask_name, "resample": None, "steps": 0, "what": "kept pixels only",
                                **harmony(label_probabilities(classifier, kept_only, labels), labels)})
        first_right = None  # which images the mask's first run got right: the others are compared with it
        for resample, run_steps in parse_runs(args.runs, steps):
            started = time.process_time()
            inpainted = inpaint(model, images, mask, resample, run_steps, args.seed).cpu()
            seconds = (time.process_time() - started) / len(images)
            kept = (mask == 0).cpu().expand_as(inpainted)
            assert torch.equal(inpainted[kept], images.cpu()[kept]), "known pixels changed"
            probabilities = label_probabilities(classifier, inpainted, labels)
            right = probabilities.argmax(1) == labels
            first_right = right if first_right is None else first_right
            row = {"mask": mask_name, "resample": resample, "steps": run_steps, "what": f"ddpm {run_steps}, U={resample}",
                   **harmony(probabilities, labels), "vs first run": paired_change(first_right, right),
                   "cpu s/image": round(seconds, 4)}
            results["rows"].append(row)
            atomic_write_text(args.out, json.dumps(results, indent=1) + "\n")
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
