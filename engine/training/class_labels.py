"""Class-conditional training (classifier-free guidance, Ho & Salimans 2022): which classes a run
conditions on, and label dropout.

A run with `classes` takes its classes from the data (`TrainingImages.class_names`: an array file's
labels, a folder's class subfolders), optionally renamed by `class_names` (Fashion-MNIST's labels
are the numbers 0-9; its classes have names). Each training label is replaced by the network's
null label ("no class") with probability `class_dropout`, so one network learns both the
conditional and the unconditional prediction that guidance combines.

`class_balance` B in [0, 1] draws each image with a weight of (its class's image count)^-B: 0 as the
data holds them, 1 every class equally often. A class with few, varied images (emoji's animals
and objects: 4 and 7 % of the data) is otherwise seen too seldom to be learnt, while guidance
asks the network for it as readily as for the largest class.
"""

from __future__ import annotations

import torch

from engine.data import TrainingImages
from engine.errors import ConfigError, DatasetError
from engine.training.config import TrainingConfig


def run_class_names(config: TrainingConfig, dataset: TrainingImages) -> tuple[str, ...]:
    """The classes the run conditions on, by readable name; () for an unconditional run."""
    if not config.classes:
        return ()
    if not dataset.class_names:
        raise DatasetError(
            f"training by class (--classes) needs the data's class labels, but {dataset.describe()} has none: an "
            ".npz needs a 'labels', 'train_labels' or 'categories' array with one whole number or text per image, a "
            "folder one subfolder of images per class"
        )
    if config.class_names and len(config.class_names) != len(dataset.class_names):
        raise ConfigError(f"{len(config.class_names)} class names given, but the data has {len(dataset.class_names)} "
                          f"classes ({', '.join(dataset.class_names)}): give one name per class, in that order")
    return tuple(config.class_names) or dataset.class_names


def class_shares(dataset: TrainingImages, class_count: int) -> list[float]:
    """Each class's share of the images (4 decimals): the model card's `class_shares`, so that a
    random class per image is drawn as often as the data holds it (`ModelSpec.class_shares`)."""
    counts = torch.bincount(image_labels(dataset, range(len(dataset))), minlength=class_count)
    return [round(float(count) / len(dataset), 4) for count in counts]


def balanced_image_weights(dataset: TrainingImages, balance: float) -> torch.Tensor | None:
    """Each image's relative weight in the data order (`batches.DataOrder`) for `class_balance`
    `balance`; None at 0, where every image is drawn once per epoch."""
    if balance == 0:
        return None
    labels = image_labels(dataset, range(len(dataset)))
    counts = torch.bincount(labels).to(torch.float64)
    return counts[labels] ** -balance


def image_labels(dataset: TrainingImages, indices: list[int] | range) -> torch.Tensor:
    """The class labels (B,) of the images at `indices`."""
    return torch.tensor([dataset.label(i) for i in indices], dtype=torch.long)


def dropped_labels(labels: torch.Tensor, null_label: int, probability: float,
                   generator: torch.Generator) -> torch.Tensor:
    """`labels` (B,) with each replaced by `null_label` with `probability`, drawn from `generator`."""
    dropped = torch.rand(labels.shape, generator=generator) < probability
    return torch.where(dropped, torch.full_like(labels, null_label), labels)
