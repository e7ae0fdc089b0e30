"""`open_training_images`: one entry point that picks the dataset type from what the path is."""

from __future__ import annotations

from pathlib import Path

from engine.data.decoded_cache import DEFAULT_CACHE_BYTES
from engine.data.image_folder import ImageFolderDataset
from engine.data.npz_file import NpzImageDataset
from engine.data.training_images import TrainingImages
from engine.errors import DatasetError


def open_training_images(
    path: str | Path,
    image_size: int,
    channels: int,
    *,
    hflip: bool = True,
    resize_short_side: bool = True,
    max_downscale: float = 1.0,
    cache_bytes: int = DEFAULT_CACHE_BYTES,
) -> TrainingImages:
    """Dispatch: a directory -> image folder dataset; a .npz file -> array dataset; otherwise
    DatasetError. `max_downscale` and `cache_bytes` apply to folders (photos); arrays are small
    images already."""
    path = Path(path).expanduser()
    options = {"hflip": hflip, "resize_short_side": resize_short_side}
    if path.is_dir():
        return ImageFolderDataset(path, image_size, channels, max_downscale=max_downscale, cache_bytes=cache_bytes,
                                  **options)
    if path.is_file() and path.suffix.lower() == ".npz":
        return NpzImageDataset(path, image_size, channels, **options)
    if not path.exists():
        raise DatasetError(f"Training data not found: {path} does not exist.")
    raise DatasetError(f"Cannot train on {path}: choose a folder of images or a .npz file of image arrays.")
