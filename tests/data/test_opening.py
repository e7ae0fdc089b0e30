"""Tests for `open_training_images`: dispatch on the path, shared options, clear errors."""

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import (
    ConfigError,
    DatasetError,
    ImageFolderDataset,
    NpzImageDataset,
    TrainingImages,
    open_training_images,
)


@pytest.fixture
def folder(tmp_path):
    Image.new("RGB", (12, 8), (255, 0, 0)).save(tmp_path / "red.png")
    return tmp_path


def test_directory_opens_image_folder(folder):
    dataset = open_training_images(folder, 8, 1, hflip=False, resize_short_side=False)
    assert isinstance(dataset, ImageFolderDataset) and isinstance(dataset, TrainingImages)
    assert not dataset.hflip and not dataset.resize_short_side
    assert "\n" not in dataset.describe() and dataset.describe().endswith(": 1 images")


def test_npz_opens_array_dataset_and_is_deterministic(tmp_path):
    with open(tmp_path / "x.NPZ", "wb") as file:  # a file object, so savez keeps the upper-case suffix
        np.savez(file, images=np.random.default_rng(0).integers(0, 256, (2, 9, 9, 3), dtype=np.uint8))
    dataset = open_training_images(tmp_path / "x.NPZ", 6, 3)
    assert isinstance(dataset, NpzImageDataset) and isinstance(dataset, TrainingImages)
    first = dataset.load(1, torch.Generator().manual_seed(11))
    assert torch.equal(first, dataset.load(1, torch.Generator().manual_seed(11)))


def test_other_paths_raise(folder):
    with pytest.raises(DatasetError, match="a folder of images or a .npz file"):
        open_training_images(folder / "red.png", 8, 3)
    with pytest.raises(DatasetError, match="does not exist"):
        open_training_images(folder / "nowhere", 8, 3)


@pytest.mark.parametrize(("image_size", "channels"), [(8, 2), (0, 3)])
def test_bad_output_spec_raises_config_error(folder, image_size, channels):
    with pytest.raises(ConfigError):
        open_training_images(folder, image_size, channels)
