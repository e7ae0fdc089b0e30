"""How the DPM-Solver++ samplers' log-noise grid was chosen (docs/models.md, "Sampler grids").

FD of a model's samples against its classifier's *training* split (selection data: the held-out
split is kept for the reported tables), for grids evenly spaced in log noise level between
e^-LO and e^-HI (`engine.sampling.log_noise_timesteps`), or the uniform grid:

    OMP_NUM_THREADS=1 python benchmarks/sampler_grid_selection.py --model digits -n 1000 \\
        --rows ddpm:50:uniform,dpmpp-2m-sde:20:-5:3,dpmpp-2m-sde:20:-5:4

Row: SAMPLER:STEPS:uniform or SAMPLER:STEPS:LO:HI (lambda = -log sigma). Image i starts from
seed i, as `engine sample` draws it. One JSON line per row on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import torch

from engine.checkpoints import ModelStore, load_model
from engine.evaluation import open_reference
from engine.evaluation.report import evaluate_samples
from engine.imaging import to_uint8
from engine.sampling import get_sampler, log_noise_timesteps, sampling_timesteps

REFERENCE_IMAGES = 4000  # of the classifier's training split


def grid(row: str, schedule, start: int) -> tuple[str, list[int]]:
    sampler, steps, *bounds = row.split(":")
    if bounds == ["uniform"]:
        return sampler, sampling_timesteps(start, int(steps))
    lo, hi = map(float, bounds)
    return sampler, log_noise_timesteps(schedule, start, int(steps), high=math.exp(-lo), low=math.exp(-hi))


def sample(model, sampler: str, timesteps: list[int], count: int, batch: int) -> np.ndarray:
    denoiser, shape = model.denoiser(), (model.spec.channels, model.spec.image_size, model.spec.image_size)
    images = []
    for first in range(0, count, batch):
        generators = [torch.Generator().manual_seed(first + i) for i in range(min(batch, count - first))]
        x = torch.stack([torch.randn(shape, generator=g) for g in generators])
        with torch.inference_mode():
            images.append(to_uint8(get_sampler(sampler)(denoiser, x, timesteps, generator=generators)))
    return np.concatenate(images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="digits")
    parser.add_argument("-n", "--count", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rows", required=True)
    args = parser.parse_args()
    model = load_model(ModelStore().resolve(args.model), torch.device("cpu"))
    reference = open_reference(model, args.model)
    real, labels = reference.data.train_images[:REFERENCE_IMAGES], reference.data.train_labels[:REFERENCE_IMAGES]
    for row in args.rows.split(","):
        sampler, timesteps = grid(row, model.schedule, model.schedule.max_step)
        started = time.perf_counter()
        images = sample(model, sampler, timesteps, args.count, args.batch)
        report = evaluate_samples(reference.classifier, reference.info, images, real, labels)
        print(json.dumps({"model": args.model, "row": row, "steps": len(timesteps), "grid": timesteps,
                          "fd": round(report.fd, 3), "seconds": round(time.perf_counter() - started, 1)}), flush=True)


if __name__ == "__main__":
    main()
