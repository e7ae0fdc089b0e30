"""The contract every training dataset meets, plus the checks and labels its implementations share.

The trainer sees only `TrainingImages`: a length, square (channels, image_size, image_size)
float32 tensors in [-1, 1] from `load(index, generator)`, and a one-line `describe()` for logs and
the GUI. All randomness (crop position, flip) comes from the generator, so a (index, seed) pair
always gives the same tensor and a `None` generator gives the deterministic validation view.

Labelled data (an array file with a label per image, a folder with one subfolder per class) also
has `class_names` and a class per image, `label(index)`, for class-conditional training; the
classes are the distinct labels in sorted order (`image_classes`), decided here for every source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from engine.errors import ConfigError

SUPPORTED_CHANNELS = (1, 3)


@runtime_checkable
class TrainingImages(Protocol):
    channels: int
    image_size: int
    class_names: tuple[str, ...]  # empty: the images have no labels

    def __len__(self) -> int: ...

    def load(self, index: int, generator: torch.Generator | None) -> torch.Tensor:
        """(channels, image_size, image_size) float32 in [-1, 1].

        All randomness (crop, flip) comes from `generator`; None = deterministic (centre crop,
        no flip).
        """

    def describe(self) -> str:
        """One line, e.g. "folder ~/pics: 312 images (4 skipped)"."""

    def label(self, index: int) -> int:
        """The class of image `index`, an index into `class_names` (labelled data only)."""


def image_classes(labels: np.ndarray | None) -> tuple[tuple[str, ...], np.ndarray | None]:
    """(class names, class index per image) for one label per image: the distinct labels in sorted
    order (whole numbers by value, text alphabetically), each named by its text. No labels, or
    labels that are not one whole number or text per image, give ((), None): no classes."""
    if labels is None:
        return (), None
    if labels.ndim != 1 or labels.dtype.kind not in "iuUS" or len(labels) == 0:
        return (), None
    values, indices = np.unique(labels, return_inverse=True)
    names = tuple(value.decode() if isinstance(value, bytes) else str(value) for value in values.tolist())
    return names, indices


def check_output_spec(image_size: int, channels: int) -> None:
    """Reject an output shape no dataset can produce, before any file is read."""
    if channels not in SUPPORTED_CHANNELS:
        raise ConfigError(f"channels must be 1 (grey) or 3 (RGB), got {channels}.")
    if image_size < 1:
        raise ConfigError(f"image_size must be a positive number of pixels, got {image_size}.")


def display_path(path: Path) -> str:
    """The path as a user would type it: the home folder shortened to ~."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)
