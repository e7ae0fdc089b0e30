"""Training images from a NumPy `.npz` archive such as the MNIST / Fashion-MNIST / emoji files.

Accepted layout: a uint8 array `images` (or else `train_images`) of shape (N, H, W) grey or
(N, H, W, C) with C = 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; optionally labels of length N in
`labels` / `categories` (for `images`) or `train_labels` (for `train_images`): whole numbers or
text, which become `class_names` and `label(index)` for class-conditional training. A
`test_images` array is ignored: held-out data comes from `split_train_validation`. Pixels follow
the mode rules of `pixel_modes` (alpha composited on white) and the resize / crop rules of
`geometry`. Conversion happens per `load`: these images are small, and caching would double the
archive's memory.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import torch

from engine.data.geometry import crop_to_tensor, prepare_pixels
from engine.data.pixel_modes import MODE_BY_CHANNEL_COUNT, image_from_array
from engine.data.training_images import check_output_spec, display_path, image_classes
from engine.errors import DatasetError

# Image array names, in order of preference, each with the names its labels may have.
LABEL_KEYS_BY_IMAGE_ARRAY = {"images": ("labels", "categories"), "train_images": ("train_labels",)}


class NpzImageDataset:
    """`TrainingImages` over the image array of one `.npz` file, held in memory."""

    def __init__(
        self,
        path: str | Path,
        image_size: int,
        channels: int,
        *,
        hflip: bool = True,
        resize_short_side: bool = True,
    ) -> None:
        check_output_spec(image_size, channels)
        self.path = Path(path).expanduser()
        self.image_size = image_size
        self.channels = channels
        self.hflip = hflip
        self.resize_short_side = resize_short_side
        self.array_name, self.images, labels = _read_archive(self.path)
        self.class_names, self._class_labels = image_classes(labels)

    def __len__(self) -> int:
        return len(self.images)

    def label(self, index: int) -> int:
        if self._class_labels is None:
            raise DatasetError(f"{self.path} has no class labels")
        return int(self._class_labels[index])

    def load(self, index: int, generator: torch.Generator | None = None) -> torch.Tensor:
        image = image_from_array(self.images[index])
        pixels = prepare_pixels(image, self.channels, self.image_size, self.resize_short_side)
        return crop_to_tensor(pixels, self.image_size, generator, self.hflip)

    def describe(self) -> str:
        height, width = self.images.shape[1:3]
        stored_mode = MODE_BY_CHANNEL_COUNT[self.images.shape[3] if self.images.ndim == 4 else 1]
        shape = f"{width}x{height} {stored_mode}"
        return f"array file {display_path(self.path)} [{self.array_name}]: {len(self)} images {shape}"


def _read_archive(path: Path) -> tuple[str, np.ndarray, np.ndarray | None]:
    """(name of the image array, images, labels or None), or DatasetError naming the problem."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DatasetError(f"Cannot read {path} as a NumPy .npz archive ({error}).") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DatasetError(f"{path} holds a single array, not an .npz archive of named arrays (np.savez).")
    with archive:
        name = next((key for key in LABEL_KEYS_BY_IMAGE_ARRAY if key in archive.files), None)
        if name is None:
            found = ", ".join(archive.files) or "nothing"
            raise DatasetError(f"{path} has no 'images' or 'train_images' array (it has: {found}).")
        label_name = next((key for key in LABEL_KEYS_BY_IMAGE_ARRAY[name] if key in archive.files), None)
        try:
            images = archive[name]
            labels = archive[label_name] if label_name else None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise DatasetError(f"Cannot read the arrays in {path} ({error}).") from error
    _check_images(path, name, images)
    if labels is not None and labels.shape[:1] != images.shape[:1]:
        raise DatasetError(f"{path}: '{label_name}' has shape {labels.shape} but '{name}' has {len(images)} images.")
    return name, images, labels


def _check_images(path: Path, name: str, images: np.ndarray) -> None:
    if images.dtype != np.uint8:
        raise DatasetError(f"{path}: '{name}' must be uint8 pixels 0-255, not {images.dtype}; convert it first.")
    channel_ok = images.ndim == 3 or (images.ndim == 4 and images.shape[3] in MODE_BY_CHANNEL_COUNT)
    if not channel_ok:
        raise DatasetError(
            f"{path}: '{name}' has shape {images.shape}; expected (N, H, W) grey or (N, H, W, C) with C = 1 to 4."
        )
    if 0 in images.shape:
        raise DatasetError(f"{path}: '{name}' is empty (shape {images.shape}).")
