"""Tests for the .npz array dataset: layouts, RGBA on white, resizing, labels, clear errors."""

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.data.npz_file import NpzImageDataset
from engine.errors import DatasetError

MNIST = Path("/work/shared/data/mnist-digits-10k.npz")


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_rgba_images_composited_on_white(tmp_path):
    images = np.zeros((2, 8, 8, 4), dtype=np.uint8)
    images[:, :4] = (0, 0, 255, 255)  # top: opaque blue; bottom: transparent
    dataset = NpzImageDataset(write_npz(tmp_path / "emoji.npz", images=images), 8, 3)
    image = dataset.load(1, None)
    assert torch.equal(image[:, :4, 0], torch.tensor([[-1.0] * 4, [-1.0] * 4, [1.0] * 4]))
    assert torch.all(image[:, 4:] == 1)


@pytest.mark.parametrize("channels", [1, 3])
def test_grey_arrays_resized_to_any_channel_count(tmp_path, channels):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    dataset = NpzImageDataset(write_npz(tmp_path / "digits.npz", images=images), 16, channels)
    image = dataset.load(2, torch.Generator().manual_seed(0))
    assert image.shape == (channels, 16, 16) and image.min() >= -1 and image.max() <= 1


def test_train_arrays_with_labels_and_test_split_ignored(tmp_path):
    path = write_npz(
        tmp_path / "fashion.npz",
        train_images=np.zeros((5, 4, 4), dtype=np.uint8),
        train_labels=np.arange(5, dtype=np.uint8),
        test_images=np.zeros((2, 4, 4), dtype=np.uint8),
    )
    dataset = NpzImageDataset(path, 4, 1)
    assert len(dataset) == 5 and [dataset.label(i) for i in range(5)] == [0, 1, 2, 3, 4]
    assert "[train_images]: 5 images 4x4 L" in dataset.describe()


def test_string_categories_are_labels(tmp_path):
    path = write_npz(tmp_path / "e.npz", images=np.zeros((2, 4, 4, 4), np.uint8), categories=np.array(["a", "b"]))
    assert NpzImageDataset(path, 4, 3).class_names == ("a", "b")


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"pixels": np.zeros((2, 4, 4), np.uint8)}, "no 'images' or 'train_images' array.*pixels"),
        ({"images": np.zeros((2, 4, 4), np.float32)}, "must be uint8"),
        ({"images": np.zeros((2, 4), np.uint8)}, "expected \\(N, H, W\\)"),
        ({"images": np.zeros((2, 4, 4, 5), np.uint8)}, "expected \\(N, H, W\\)"),
        ({"images": np.zeros((0, 4, 4), np.uint8)}, "empty"),
        ({"images": np.zeros((2, 4, 4), np.uint8), "labels": np.zeros(3)}, "'labels' has shape \\(3,\\)"),
        ({"images": np.array([None, 1], dtype=object)}, "Cannot read the arrays"),
    ],
)
def test_bad_archives_raise_dataset_error(tmp_path, arrays, message):
    with pytest.raises(DatasetError, match=message):
        NpzImageDataset(write_npz(tmp_path / "bad.npz", **arrays), 4, 1)


def test_unreadable_files_raise_dataset_error(tmp_path):
    (tmp_path / "garbage.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DatasetError, match="Cannot read"):
        NpzImageDataset(tmp_path / "garbage.npz", 4, 1)
    np.save(tmp_path / "single.npy", np.zeros((2, 4, 4), np.uint8))
    (tmp_path / "single.npy").rename(tmp_path / "single.npz")
    with pytest.raises(DatasetError, match="single array"):
        NpzImageDataset(tmp_path / "single.npz", 4, 1)
    with pytest.raises(DatasetError, match="Cannot read"):
        NpzImageDataset(tmp_path / "missing.npz", 4, 1)


def test_real_mnist_smoke():
    if not MNIST.exists():
        pytest.skip(f"{MNIST} not present")
    dataset = NpzImageDataset(MNIST, 32, 1)
    assert len(dataset) == 10_000 and dataset.load(0, None).shape == (1, 32, 32)
