"""What RePaint resampling buys when inpainting: harmony of the regenerated part with the kept
part, against the CPU time it costs.

    OMP_NUM_THREADS=1 python benchmarks/inpainting_resample.py --model fashion -n 200 --masks bottom,centre \
        --out benchmarks/results/inpainting-resample-fashion-cpu.json

Held-out images (the model's own validation split of its training file, the file its frozen
classifier names: images it never trained on, as `engine train` split them with its defaults,
fraction 0.05 and seed 0) are masked (top, bottom or left half, or a centre square
regenerated) and inpainted from pure noise in the mask (strength 1, the CLI's default with
--mask; `whole` with --strength below 1 is img2img instead), once per run of `--runs`:
SAMPLER:STEPS:U[:CLASS], U RePaint passes per step (ddpm only), CLASS the class each image is
guided toward at the model's recommended scale (class-conditional models only): `none` (the
default: no class, as `engine sample` without --class), `random` (a class per image drawn from
its seed, the Generate page's default for such models) or `original` (the original's own
label, the class a user who picks one would choose). The default runs start with the model's
recommended sampler for plain generation without resampling, then ddpm 50 with U = 1, 2 and 5,
and ddpm 100 with U = 1, as many network calls as U = 2, so that a gain of resampling is not
taken for a gain of more calls. Harmony is measured by the model's frozen
classifier (benchmarks/classifiers/): the share of inpainted images it reads as the original's
label, and its mean probability for that label. A seam that does not continue the kept
strokes, or a bottom half from another digit or garment, lowers both. For scale, each mask also
gets the classifier on the kept pixels alone (the regenerated region filled with the image's
background, the median of its border pixels), and the untouched originals are scored once.
Every run inpaints the same images with the same seeds,
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
from engine.diffusion import ClassGuidance
from engine.evaluation import FeatureClassifier, load_classifier
from engine.evaluation.reference import held_out_dataset_path
from engine.guidance import class_guidance, labelled_guidance
from engine.paths import benchmarks_dir
from engine.sampling import get_sampler, sampler_timesteps
from engine.sampling.known_pixels import KnownPixels
from engine.steering import start_step, starting_x, steps_at_strength

TRAINING_VALIDATION = (0.05, 0)  # engine train's default --val-fraction and --seed, which the bundled models used
INPAINTING_MASKS = ("top", "bottom", "left", "centre")
MASKS = (*INPAINTING_MASKS, "whole")  # whole: every pixel regenerated, img2img
RESAMPLE_RUNS = "ddpm:50:1,ddpm:50:2,ddpm:50:5,ddpm:100:1"  # after the recommended sampler's run
CLASS_MODES = ("none", "random", "original")
Run = tuple[str, int, int, str]  # sampler, steps, RePaint passes per step, one of CLASS_MODES


def regenerated_region(name: str, size: int) -> torch.Tensor:
    """(1, size, size) mask, 1 = regenerate: a half of the image, a centre square of half its side,
    or the whole image (img2img: with --strength below 1 the picture's layout is what is kept)."""
    mask = torch.zeros(1, size, size)
    half, quarter = size // 2, size // 4
    region = {"top": (slice(0, half), slice(None)), "bottom": (slice(half, None), slice(None)),
              "left": (slice(None), slice(0, half)),
              "centre": (slice(quarter, size - quarter), slice(quarter, size - quarter)),
              "whole": (slice(None), slice(None))}[name]
    mask[(slice(None), *region)] = 1
    return mask


def held_out_images(model: LoadedModel, count: int, data: Path,
                    classifier_classes: list[str]) -> tuple[torch.Tensor, np.ndarray]:
    """The first `count` images of the model's validation split, (N, C, S, S) in [-1, 1], and their
    labels as indices of the classifier's classes (the data's class names, as it stores them)."""
    dataset = NpzImageDataset(data, model.spec.image_size, model.spec.channels, hflip=False)
    _, validation = split_train_validation(dataset, *TRAINING_VALIDATION)
    indices = validation.indices[:count]
    images = torch.stack([dataset.load(i) for i in indices])
    return images, np.array([classifier_classes.index(dataset.class_names[dataset.label(i)]) for i in indices])


def background_filled(images: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The images with the regenerated region filled with each image's background, the median of
    its border pixels per channel (black for digits and garments, white for emoji)."""
    border = torch.cat([images[..., 0, :], images[..., -1, :], images[..., 1:-1, 0], images[..., 1:-1, -1]], dim=-1)
    background = border.median(dim=-1).values[..., None, None]
    return images * (1 - mask) + background * mask


def run_guidance(model: LoadedModel, mode: str, labels: np.ndarray, seed: int) -> ClassGuidance | None:
    """The guidance of `mode` for the images seeded seed, seed + 1, ...: None for `none`, the
    classes `generate` draws for `random`, the images' own `labels` for `original`; the model's
    recommended scale for each class (its class i is the classifier's class i, guidance_sweep.py says why)."""
    seeds = range(seed, seed + len(labels))
    if mode == "original":
        return labelled_guidance(model.spec, tuple(int(label) for label in labels), None)
    return class_guidance(model.spec, model.name, None, None, seeds, random_class=mode == "random")


def inpaint(model: LoadedModel, images: torch.Tensor, labels: np.ndarray, mask: torch.Tensor, run: Run,
            seed: int, strength: float = 1.0) -> torch.Tensor:
    """Image i inpainted from its own stream seed + i, as `generate` draws it: noise first, then
    noised to `strength` and about steps * strength steps run, as `generate` does."""
    sampler, steps, resample, mode = run
    generators = [torch.Generator().manual_seed(seed + i) for i in range(len(images))]
    noise = torch.stack([torch.randn(images.shape[1:], generator=g) for g in generators]).to(images.device)
    start = start_step(strength, model.schedule.max_step)
    x = starting_x(model.schedule, images, noise, start)
    denoiser = KnownPixels(model.denoiser(guidance=run_guidance(model, mode, labels, seed)), images, mask)
    timesteps = sampler_timesteps(sampler, model.schedule, start, steps_at_strength(steps, strength))
    with torch.inference_mode():
        return get_sampler(sampler)(denoiser, x, timesteps, generator=generators,
                                    **({"resample": resample} if resample > 1 else {}))


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


def parse_runs(text: str) -> list[Run]:
    """(sampler, steps, resample, class mode) per run: "dpmpp-2m-sde:20:1,ddpm:50:5:random" ->
    [("dpmpp-2m-sde", 20, 1, "none"), ("ddpm", 50, 5, "random")]."""
    runs = []
    for item in text.split(","):
        sampler, steps, resample, *mode = item.split(":")
        mode = mode[0] if mode else CLASS_MODES[0]
        if mode not in CLASS_MODES:
            raise SystemExit(f"{item}: the class mode must be one of {', '.join(CLASS_MODES)}")
        runs.append((sampler, int(steps), int(resample), mode))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="digits")
    parser.add_argument("-n", "--count", type=int, default=200, help="held-out images (at most the validation split)")
    parser.add_argument("--masks", default=",".join(INPAINTING_MASKS),
                        help=f"comma-separated, of {', '.join(MASKS)} (default: all but whole)")
    parser.add_argument("--runs", default=None,
                        help="comma-separated SAMPLER:STEPS:U[:CLASS], U RePaint passes per step (ddpm only), CLASS "
                             f"one of {', '.join(CLASS_MODES)}; the first is "
                             "the one the others are compared with (default: the model's recommended sampler, "
                             f"then {RESAMPLE_RUNS})")
    parser.add_argument("--strength", type=float, default=1.0,
                        help="how far the picture is noised (default 1, inpainting's; img2img's is 0.6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data", type=Path, default=None, help="the model's training file (default: its classifier's)")
    parser.add_argument("--out", type=Path, required=True, help="JSON file of result rows")
    args = parser.parse_args()

    set_threads(args.threads)
    model = load_model(ModelStore().resolve(args.model), resolve_device(args.device))
    classifier, info = load_classifier(benchmarks_dir() / "classifiers" / str(model.spec.card["eval_classifier"]))
    sampler, steps = model.spec.recommended_sampler()
    runs = parse_runs(args.runs or f"{sampler}:{steps}:1,{RESAMPLE_RUNS}")
    images, labels = held_out_images(model, args.count, args.data or held_out_dataset_path(info.dataset), info.classes)
    images = images.to(model.device)
    results = {"model": args.model, "count": len(images), "seed": args.seed, "strength": args.strength,
               "threads": torch.get_num_threads(), "device": str(model.device),
               "originals": harmony(label_probabilities(classifier, images, labels), labels), "rows": []}
    inpaint(model, images[:2], labels[:2], regenerated_region("centre", images.shape[-1]).to(model.device),
            ("ddpm", 2, 1, "none"), args.seed)  # warm-up
    for mask_name in args.masks.split(","):
        mask = regenerated_region(mask_name, images.shape[-1]).to(model.device)
        results["rows"].append({"mask": mask_name, "resample": None, "steps": 0, "what": "kept pixels only",
                                **harmony(label_probabilities(classifier, background_filled(images, mask), labels),
                                          labels)})
        first_right = None  # which images the mask's first run got right: the others are compared with it
        for run in runs:
            started = time.process_time()
            inpainted = inpaint(model, images, labels, mask, run, args.seed, args.strength).cpu()
            seconds = (time.process_time() - started) / len(images)
            kept = (mask == 0).cpu().expand_as(inpainted)
            assert torch.equal(inpainted[kept], images.cpu()[kept]), "known pixels changed"
            probabilities = label_probabilities(classifier, inpainted, labels)
            right = probabilities.argmax(1) == labels
            first_right = right if first_right is None else first_right
            sampler, run_steps, resample, mode = run
            row = {"mask": mask_name, "sampler": sampler, "resample": resample, "steps": run_steps, "class": mode,
                   "what": f"{sampler} {run_steps}, U={resample}, class {mode}", **harmony(probabilities, labels),
                   "vs first run": paired_change(first_right, right), "cpu s/image": round(seconds, 4)}
            results["rows"].append(row)
            atomic_write_text(args.out, json.dumps(results, indent=1) + "\n")
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
