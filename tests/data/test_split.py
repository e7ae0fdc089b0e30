"""Tests for the train / validation split: deterministic, disjoint, never empty, validation fixed."""

import numpy as np
import pytest
import torch

from engine.data.npz_file import NpzImageDataset
from engine.data.split import split_train_validation
from engine.data.training_images import TrainingImages
from engine.errors import ConfigError


def numbered_dataset(tmp_path, count):
    """Image i is 8x12 noise whose top-left pixel is i, so loads can be traced to indices."""
    images = np.random.default_rng(0).integers(0, 256, (count, 8, 12), dtype=np.uint8)
    images[:, 0, 0] = np.arange(count)
    np.savez(tmp_path / "numbered.npz", images=images)
    return NpzImageDataset(tmp_path / "numbered.npz", 8, 1, resize_short_side=False)


def test_split_is_deterministic_disjoint_and_complete(tmp_path):
    dataset = numbered_dataset(tmp_path, 20)
    training, validation = split_train_validation(dataset, 0.25, seed=3)
    again_training, again_validation = split_train_validation(dataset, 0.25, seed=3)
    assert training.indices == again_training.indices and validation.indices == again_validation.indices
    assert len(validation) == 5 and len(training) == 15
    assert sorted(training.indices + validation.indices) == list(range(20))
    assert split_train_validation(dataset, 0.25, seed=4)[1].indices != validation.indices
    assert isinstance(training, TrainingImages) and isinstance(validation, TrainingImages)
    assert (training.channels, training.image_size) == (1, 8)


def test_validation_ignores_generator_training_uses_it(tmp_path):
    dataset = numbered_dataset(tmp_path, 10)
    training, validation = split_train_validation(dataset, 0.3, seed=0)
    assert torch.equal(validation.load(0, torch.Generator().manual_seed(1)), dataset.load(validation.indices[0], None))
    crops = {tuple(training.load(0, torch.Generator().manual_seed(s)).flatten().tolist()) for s in range(6)}
    assert len(crops) > 1


@pytest.mark.parametrize(
    ("count", "fraction", "sizes"),
    [(1, 0.5, (1, 1)), (2, 0.9, (1, 1)), (3, 0.9, (1, 2)), (3, 0.01, (2, 1))],
)
def test_tiny_datasets_keep_both_sides_non_empty(tmp_path, count, fraction, sizes):
    training, validation = split_train_validation(numbered_dataset(tmp_path, count), fraction, seed=0)
    assert (len(training), len(validation)) == sizes
    if count == 1:
        assert training.indices == validation.indices == [0]
    assert "validation split, " in validation.describe()


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_fraction_out_of_range(tmp_path, fraction):
    with pytest.raises(ConfigError, match="validation_fraction"):
        split_train_validation(numbered_dataset(tmp_path, 4), fraction, seed=0)
