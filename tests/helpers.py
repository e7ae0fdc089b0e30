"""Small factories shared by tests: tiny models and datasets that make tests fast."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.checkpoints import ModelSpec, save_model_folder
from engine.diffusion import ScheduleConfig
from engine.evaluation import save_classifier, train_classifier
from engine.evaluation.classifier import ClassifierInfo
from engine.evaluation.labelled_data import load_labelled
from engine.models import preset_config


def tiny_spec(channels: int = 1, image_size: int = 8, class_names: tuple[str, ...] = (),
              **network: object) -> ModelSpec:
    """A tiny cUNet; with `class_names`, class-conditional on them."""
    arch, config = preset_config("cunet-small", channels)
    values = dataclasses.asdict(config) | {"base_channels": 4, "channel_mults": (2, 4), "attention_levels": ()} | network
    return ModelSpec(arch=arch, network=values | {"num_classes": len(class_names)}, image_size=image_size,
                     channels=channels, schedule=ScheduleConfig(kind="cosine"), prediction="eps",
                     card={"display_name": "tiny", "recommended": {"sampler": "ddim", "steps": 4}},
                     class_names=class_names)


def perturb(network: torch.nn.Module, seed: int = 0, scale: float = 0.05) -> torch.nn.Module:
    """Give zero-initialised layers non-zero weights so every path of the network is exercised."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in network.parameters():
            if p.requires_grad:
                p.add_(scale * torch.randn(p.shape, generator=generator))
    return network


def save_tiny_model(folder: Path, channels: int = 1, image_size: int = 8, seed: int = 0,
                    class_names: tuple[str, ...] = (), card: dict | None = None) -> Path:
    """`card`: fields merged into the tiny model's card."""
    spec = tiny_spec(channels, image_size, class_names)
    spec = dataclasses.replace(spec, card=spec.card | (card or {}))
    torch.manual_seed(seed)
    network = perturb(spec.build_network(), seed)
    save_model_folder(folder, spec, network.state_dict())
    return folder


def two_level_npz(path: Path, count: int = 64, size: int = 8, seed: int = 0) -> Path:
    """Grey images that are flat at one of two levels (dark or light): trivially learnable, and a
    sampler that works must reproduce flat images at those two levels."""
    rng = np.random.default_rng(seed)
    levels = rng.choice(np.array([51, 204], dtype=np.uint8), size=count)
    images = np.broadcast_to(levels[:, None, None], (count, size, size)).copy()
    np.savez(path, images=images, labels=(levels > 128).astype(np.uint8))
    return path


def fingerprint(folder: Path) -> dict[str, str]:
    """Name -> sha256 of every regular file under `folder` (links and pipes by their kind)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            found[str(path.relative_to(folder))] = "link" if path.is_symlink() else "special"
            continue
        found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def random_photos(folder: Path, count: int, size: tuple[int, int], name: str = "photo{index}.png",
                  seed: int = 0) -> list[Path]:
    """`count` RGB PNGs of random pixels, (height, width) = size, named by `name` (index, seed)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        path = folder / name.format(index=index, seed=seed)
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def classifier_of(npz: Path) -> Path:
    """A one-epoch classifier stored, as the bundled ones are, with its dataset's file name only."""
    data = load_labelled(npz, 8, 1)
    model = train_classifier(data.train_images, data.train_labels, 2, epochs=1, batch=32)
    save_classifier(npz.parent / "clf", model, ClassifierInfo(1, 8, data.classes, 1.0, npz.name))
    return npz.parent / "clf"
