"""Labelled real images for the quality measure: an .npz dataset with a fixed held-out split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.data import NpzImageDataset
from engine.errors import DatasetError


@dataclass
class LabelledImages:
    train_images: torch.Tensor  # (N, C, H, W) in [-1, 1]
    train_labels: torch.Tensor
    held_out_images: torch.Tensor
    held_out_labels: torch.Tensor
    classes: list[str]


def load_labelled(path: Path, image_size: int, channels: int, held_out_fraction: float = 0.2,
                  seed: int = 0) -> LabelledImages:
    """All images of an .npz with labels (digits / fashion classes, emoji categories), split by seed."""
    dataset = NpzImageDataset(path, image_size, channels, hflip=False)
    if not dataset.class_names:
        raise DatasetError(f"{path} has no class labels (one whole number or text per image); "
                           "the quality measure needs them")
    labels = np.array([dataset.label(i) for i in range(len(dataset))])
    images = torch.stack([dataset.load(i, None) for i in range(len(dataset))])
    order = np.random.default_rng(seed).permutation(len(images))
    cut = int(round(len(images) * (1 - held_out_fraction)))
    train, held = torch.from_numpy(order[:cut]), torch.from_numpy(order[cut:])
    labels_t = torch.from_numpy(labels.astype(np.int64))
    return LabelledImages(images[train], labels_t[train], images[held], labels_t[held], list(dataset.class_names))
