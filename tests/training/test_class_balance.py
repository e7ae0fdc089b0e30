"""--class-balance: small classes drawn more often, reproducibly, and recorded with the model."""

import json

import numpy as np
import pytest
import torch

from engine.checkpoints import load_model
from engine.data import open_training_images
from engine.errors import ConfigError
from engine.training import train
from engine.training.batches import DataOrder
from engine.training.class_labels import balanced_image_weights
from training.test_training import tiny_config


def uneven_npz(path, small_class_count: int = 6, count: int = 60):
    """Grey 8 px images: `small_class_count` of class 1 (light), the rest class 0 (dark)."""
    labels = np.zeros(count, np.uint8)
    labels[:small_class_count] = 1
    images = np.where(labels[:, None, None] == 1, 204, 51).astype(np.uint8) * np.ones((1, 8, 8), np.uint8)
    np.savez(path, images=images, labels=labels)
    return path


def drawn_labels(order: DataOrder, labels: np.ndarray, steps: int, batch: int = 10) -> np.ndarray:
    return np.array([labels[i] for step in range(steps) for i in order.batch(step, batch)])


def test_balance_one_draws_every_class_equally_often_and_zero_as_the_data_holds_them(tmp_path):
    images = open_training_images(str(uneven_npz(tmp_path / "uneven.npz")), 8, 1)
    labels = np.array([images.label(i) for i in range(len(images))])
    assert balanced_image_weights(images, 0.0) is None
    balanced = DataOrder(len(images), seed=3, weights=balanced_image_weights(images, 1.0))
    half = DataOrder(len(images), seed=3, weights=balanced_image_weights(images, 0.5))
    plain = DataOrder(len(images), seed=3)
    assert drawn_labels(plain, labels, 60).mean() == pytest.approx(0.1)  # 6 of 60 images, once per epoch
    assert drawn_labels(balanced, labels, 600).mean() == pytest.approx(0.5, abs=0.03)
    # B = 0.5: weights 1/sqrt(6) and 1/sqrt(54), so class 1 gets 6/sqrt(6) / (6/sqrt(6) + 54/sqrt(54)) = 0.25
    assert drawn_labels(half, labels, 600).mean() == pytest.approx(0.25, abs=0.03)


def test_a_weighted_order_depends_on_the_seed_and_step_alone():
    weights = torch.tensor([1.0, 1.0, 4.0, 0.5, 2.0])
    first, again = DataOrder(5, 7, weights), DataOrder(5, 7, weights)
    assert [first.batch(s, 4) for s in range(6)] == [again.batch(s, 4) for s in range(6)]
    assert again.batch(2, 4) == DataOrder(5, 7, weights).batch(2, 4)  # no state: a resumed run draws the same
    assert [first.batch(s, 4) for s in range(6)] != [DataOrder(5, 8, weights).batch(s, 4) for s in range(6)]
    # Two processes of one step split the batch the single process takes.
    assert first.batch(3, 4, rank=0, world_size=2) + first.batch(3, 4, rank=1, world_size=2) == first.batch(3, 4)
    with pytest.raises(ValueError, match="weights for 4 images"):
        DataOrder(4, 7, weights)


def test_class_balance_is_checked_and_needs_classes(tmp_path):
    with pytest.raises(ConfigError, match="class balance must be in \\[0, 1\\]"):
        tiny_config(tmp_path, classes=True, class_balance=1.5)
    with pytest.raises(ConfigError, match="class balance needs a class-conditional run"):
        tiny_config(tmp_path, class_balance=0.5)


def test_a_balanced_run_trains_and_its_model_card_says_so(tmp_path):
    uneven_npz(tmp_path / "uneven.npz")
    summary = train(tiny_config(tmp_path, data=str(tmp_path / "uneven.npz"), classes=True, class_balance=1.0,
                                steps=2))
    model = load_model(summary.model_dir)
    assert model.spec.card["training"]["class_balance"] == 1.0
    assert model.spec.card["class_shares"] == pytest.approx([0.9, 0.1], abs=0.02)  # the data's, not the draws'
    assert json.loads((tmp_path / "run" / "config.json").read_text())["class_balance"] == 1.0
