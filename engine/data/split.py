"""Deterministic train / validation split of any `TrainingImages`.

The split is a seeded shuffle, so the same seed always holds out the same images (resumed runs
and repeated experiments validate on identical data), and the sorted-folder or sorted-by-label
order of a source never leaks into which images are held out. Validation never gets an empty set:
at least one image is held out and at least one kept for training; a dataset of a single image
returns that image as both (the validation loss is then only a sanity check, not held-out data).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from engine.data.training_images import TrainingImages
from engine.errors import ConfigError, DatasetError


class ImageSubset:
    """`TrainingImages` view of some indices of another dataset.

    A deterministic subset ignores the generator it is given, so validation images are always the
    centre crop without flip.
    """

    def __init__(self, source: TrainingImages, indices: Sequence[int], role: str, deterministic: bool) -> None:
        self.source = source
        self.indices = list(indices)
        self.role = role
        self.deterministic = deterministic
        self.channels = source.channels
        self.image_size = source.image_size
        self.class_names = source.class_names

    def __len__(self) -> int:
        return len(self.indices)

    def load(self, index: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.source.load(self.indices[index], None if self.deterministic else generator)

    def label(self, index: int) -> int:
        return self.source.label(self.indices[index])

    def describe(self) -> str:
        return f"{self.role} split, {len(self)} images of {self.source.describe()}"


def split_train_validation(
    dataset: TrainingImages, validation_fraction: float, seed: int
) -> tuple[TrainingImages, TrainingImages]:
    """(training, validation) subsets; about `validation_fraction` of the images go to validation.

    `validation_fraction` must be strictly between 0 and 1; to train without validation, do not
    split. The validation subset loads deterministically (generator ignored).
    """
    if not 0 < validation_fraction < 1:
        raise ConfigError(
            f"validation_fraction must be between 0 and 1 (exclusive), got {validation_fraction}; "
            "to train without validation, skip the split."
        )
    count = len(dataset)
    if count == 0:
        raise DatasetError(f"Cannot split an empty dataset ({dataset.describe()}).")
    if count == 1:
        return ImageSubset(dataset, [0], "training", False), ImageSubset(dataset, [0], "validation", True)
    held_out = min(count - 1, max(1, round(count * validation_fraction)))
    order = np.random.default_rng(seed).permutation(count)
    training = sorted(int(index) for index in order[held_out:])
    validation = sorted(int(index) for index in order[:held_out])
    return ImageSubset(dataset, training, "training", False), ImageSubset(dataset, validation, "validation", True)
