"""One timed job for the thread measurements of docs/benchmarks.md ("Threads"): prints the wall
seconds of JOB run with THREADS torch threads, after one untimed warm-up call.

    python benchmarks/thread_job.py digits 2      # 16 digits images, DDPM 50
    python benchmarks/thread_job.py emoji 1       # 16 emoji images, DDPM 25
    python benchmarks/thread_job.py photo 2       # a 384 px photo through photo-denoiser, sigma 25

Run each in a fresh process, idle and beside another busy program, and with OMP_WAIT_POLICY or
GOMP_SPINCOUNT set in the environment for those columns; compare within one run, as ratios.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch

from engine.checkpoints import ModelStore, load_model
from engine.denoise import DenoiseSettings, Photo, denoise_photo
from engine.generate import GenerationRequest, generate

JOBS = ("digits", "emoji", "photo")


def main(argv: list[str]) -> int:
    job, threads = argv[0], int(argv[1])
    if job not in JOBS:
        raise SystemExit(f"job must be one of {', '.join(JOBS)}")
    torch.set_num_threads(threads)
    if job == "photo":
        model = load_model(ModelStore().resolve("photo-denoiser"))
        pixels = np.clip(0.5 + 0.1 * np.random.default_rng(0).standard_normal((384, 384, 3)), 0, 1).astype(np.float32)
        denoise_photo(model, Photo(pixels[:64, :64], None, 8, None, "PNG", {}), DenoiseSettings(sigma=25))
        started = time.perf_counter()
        denoise_photo(model, Photo(pixels, None, 8, None, "PNG", {}), DenoiseSettings(sigma=25))
    else:
        model = load_model(ModelStore().resolve(job))
        generate(model, GenerationRequest(count=2, seed=0, sampler="ddpm", steps=2, batch_size=2))
        started = time.perf_counter()
        generate(model, GenerationRequest(count=16, seed=0, sampler="ddpm", steps=50 if job == "digits" else 25,
                                          batch_size=16))
    print(f"{time.perf_counter() - started:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
