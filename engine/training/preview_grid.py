"""The picture of training progress a run writes to samples/ every `sample_every` steps.

A generation model shows images sampled from the same seeds every time, so successive grids show
progress, not noise luck. They use ancestral DDPM (25 steps): early in training, and for the small
bundled models even at the end, the deterministic samplers make far worse images than DDPM (a
digits model at FD 12.6 with DDIM 50 vs 7.6 with DDPM 50; an emoji run's grid was colour noise with
DDIM 20 where DDPM 50 already drew white backgrounds), and the preview must not look worse than
what the model can do. A class-conditional model shows a row per class, its name beside it, all
rows from the same seeds at the model's recommended guidance. A denoising-only model (trained up to
`max_step` < T) cannot sample from pure noise, so it shows what it is for instead: a row of fixed
training crops noised at half its range (same crops and noise every time) above the row of its
one-step clean estimates. Each is saved enlarged to at least SAVED_MIN_WIDTH (whole-pixel
repetition), like every saved grid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from engine.checkpoints import LoadedModel, ModelSpec
from engine.diffusion import NoiseSchedule
from engine.generate import GenerationRequest, generate
from engine.imaging import SAVED_MIN_WIDTH, grid, save_png, to_pil, to_uint8, upscale_nearest, with_labels

SAMPLE_SAMPLER, SAMPLE_STEPS = "ddpm", 25
PREVIEW_SEED = 0


def write_preview_grid(path: Path, spec: ModelSpec, network: nn.Module, schedule: NoiseSchedule,
                       device: torch.device, count: int, images, step: int) -> Path:
    """Write the grid for `step` to `path`; `images` (a TrainingImages) feeds denoising previews."""
    model = LoadedModel(spec, network, schedule, device, path.parent)
    row_labels: list[str] = []
    if not spec.can_generate:
        noisy, estimates = _denoising_rows(model, images, count)
        sheet = grid(np.concatenate([noisy, estimates]), columns=len(noisy))
    elif spec.is_conditional:  # about `count` images in all, at least one per class
        row_labels = list(spec.class_names)
        columns = -(-count // len(row_labels))
        sheet = grid(np.concatenate([_samples(model, columns, label) for label in range(len(row_labels))]), columns)
    else:
        sheet = grid(_samples(model, count))
    picture = upscale_nearest(sheet, min_width=SAVED_MIN_WIDTH)
    save_png(path, to_pil(with_labels(picture, row_labels, []) if row_labels else picture), {"step": str(step)})
    return path


def _samples(model: LoadedModel, count: int, class_label: int | None = None) -> np.ndarray:
    request = GenerationRequest(count=count, seed=PREVIEW_SEED, sampler=SAMPLE_SAMPLER, steps=SAMPLE_STEPS,
                                batch_size=count, class_label=class_label)
    return generate(model, request).images


@torch.inference_mode()
def _denoising_rows(model: LoadedModel, images, count: int) -> tuple[np.ndarray, np.ndarray]:
    columns = max(1, min(count // 2, len(images)))
    generator = torch.Generator().manual_seed(PREVIEW_SEED)
    clean = torch.stack([images.load(i, generator) for i in range(columns)])
    t = model.schedule.max_step // 2
    abar = float(model.schedule.abar(t))
    noise = torch.randn(clean.shape, generator=generator)
    noisy = model.schedule.add_noise(clean, noise, torch.full((len(clean),), t))
    _, estimate = model.denoiser()(noisy.to(model.device), t)
    shown_noisy = (noisy / abar**0.5).clamp(-1, 1)  # back to the photo's brightness
    return to_uint8(shown_noisy), to_uint8(estimate)
