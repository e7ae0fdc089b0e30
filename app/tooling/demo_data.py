"""Synthetic inputs for the screenshot tour and the self-test, so both run anywhere without
shipping data: a noisy "photo", a folder of small training images, and (only where no model is
installed at all) a tiny untrained model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.checkpoints import ModelSpec, save_model_folder
from engine.models import SMALL_PRESETS, preset_config


def clean_scene(height: int, width: int) -> np.ndarray:
    """(H, W, 3) uint8: sky gradient, a sun, layered hills and a striped field; smooth areas show
    noise removal, edges and stripes show whether detail survives."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    u, v = x / width, y / height
    image = np.stack([90 + 80 * v, 140 + 60 * v, 230 - 40 * v], axis=-1)
    sun = (u - 0.72) ** 2 + ((v - 0.25) * height / width) ** 2 < 0.012
    image[sun] = (250, 215, 120)
    far_hill = v > 0.55 + 0.08 * np.sin(u * 7.0)
    image[far_hill] = np.stack([70 + 30 * u, 120 + 20 * u, 90 + 0 * u], axis=-1)[far_hill]
    near_hill = v > 0.72 + 0.05 * np.sin(u * 13.0 + 1.0)
    stripes = 0.5 + 0.5 * np.sin(x * 0.9 + y * 0.25)
    field = np.stack([150 + 60 * stripes, 120 + 50 * stripes, 40 + 20 * stripes], axis=-1)
    image[near_hill] = field[near_hill]
    return np.clip(image, 0, 255).astype(np.uint8)


def noisy_photo(path: Path, height: int = 120, width: int = 180, sigma: float = 25.0, seed: int = 0) -> Path:
    """Write `clean_scene` plus Gaussian noise of std `sigma` (0-255 units) as a PNG."""
    rng = np.random.default_rng(seed)
    noisy = clean_scene(height, width).astype(np.float32) + rng.normal(0.0, sigma, (height, width, 3))
    Image.fromarray(np.clip(noisy, 0, 255).round().astype(np.uint8)).save(path)
    return path


def shapes_folder(folder: Path, count: int = 64, size: int = 16, seed: int = 0) -> Path:
    """`count` PNGs of one coloured disc or square on a two-tone background: a dataset a tiny
    model learns something from within a few dozen steps."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:size, 0:size]
    for index in range(count):
        background = rng.integers(30, 120, 3)
        image = np.broadcast_to(background, (size, size, 3)).copy()
        image[y > size // 2] = background // 2
        cx, cy, radius = rng.uniform(4, size - 4, 2).tolist() + [rng.uniform(2.5, size / 3)]
        shape = ((x - cx) ** 2 + (y - cy) ** 2 < radius**2) if index % 2 else \
            ((abs(x - cx) < radius) & (abs(y - cy) < radius))
        image[shape] = rng.integers(150, 256, 3)
        Image.fromarray(image.astype(np.uint8)).save(folder / f"shape-{index:03d}.png")
    return folder


def untrained_model(folder: Path, channels: int = 3, image_size: int = 16) -> Path:
    """A tiny random cUNet: lets the self-test exercise generation and denoising end to end on a
    machine where no model is installed yet (the images are noise, which is all it checks)."""
    arch, config = preset_config(SMALL_PRESETS["cunet"], channels)
    config = dataclasses.replace(config, base_channels=4)
    spec = ModelSpec(arch=arch, network=dataclasses.asdict(config), image_size=image_size, channels=channels,
                     card={"display_name": "Untrained demo", "description": "random weights, for the self-test",
                           "recommended": {"sampler": "ddim", "steps": 4}})
    torch.manual_seed(0)
    state = spec.build_network().state_dict()
    save_model_folder(folder, spec, state)
    return folder
