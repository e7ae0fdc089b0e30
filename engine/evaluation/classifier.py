"""The feature classifier: a small CNN trained on a dataset's labels, frozen, and stored as
safetensors + JSON beside the benchmarks. Its 128-d penultimate layer is the FD feature space."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.atomic import atomic_write_text
from engine.checkpoints.weights import read_tensors, write_tensors
from engine.errors import ModelLoadError

FEATURES = 128


@dataclass(frozen=True)
class ClassifierInfo:
    channels: int
    image_size: int
    classes: list[str]
    held_out_accuracy: float
    dataset: str


class FeatureClassifier(nn.Module):
    def __init__(self, channels: int, classes: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.GroupNorm(8, 32), nn.SiLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.GroupNorm(8, 64), nn.SiLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.GroupNorm(8, 128), nn.SiLU(), nn.AdaptiveAvgPool2d(4),
            nn.Flatten(), nn.Linear(128 * 16, FEATURES), nn.SiLU(),
        )
        self.head = nn.Linear(FEATURES, classes)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """images (N, C, H, W) in [-1, 1] -> (N, 128)."""
        return self.body(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def train_classifier(
    images: torch.Tensor, labels: torch.Tensor, classes: int, epochs: int = 4, batch: int = 128, seed: int = 0,
) -> FeatureClassifier:
    """Plain supervised training with light shift augmentation; a few epochs suffice for MNIST-like data."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = FeatureClassifier(images.shape[1], classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = epochs * ((len(images) + batch - 1) // batch)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=steps)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images), batch):
            index = order[start : start + batch]
            x = images[index]
            shift = torch.randint(-2, 3, (2,), generator=generator).tolist()
            x = torch.roll(x, shifts=shift, dims=(2, 3))
            loss = F.cross_entropy(model(x), labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
    return model.eval()


@torch.no_grad()
def predict(
    model: FeatureClassifier, images: torch.Tensor, batch: int = 512
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features (N, 128), predicted class (N,), its softmax probability (N,)) for images in [-1, 1]."""
    features, predictions, confidences = [], [], []
    for start in range(0, len(images), batch):
        f = model.features(images[start : start + batch])
        probabilities = model.head(f).softmax(1)
        features.append(f.numpy())
        confidence, predicted = probabilities.max(1)
        predictions.append(predicted.numpy())
        confidences.append(confidence.numpy())
    return np.concatenate(features), np.concatenate(predictions), np.concatenate(confidences)


def save_classifier(folder: Path, model: FeatureClassifier, info: ClassifierInfo) -> None:
    write_tensors(folder / "classifier.safetensors", model.state_dict(), {"info": json.dumps(asdict(info))})
    atomic_write_text(folder / "classifier.json", json.dumps(asdict(info), indent=2) + "\n")


def load_classifier(folder: Path) -> tuple[FeatureClassifier, ClassifierInfo]:
    try:
        info = ClassifierInfo(**json.loads((folder / "classifier.json").read_text("utf-8")))
    except (OSError, ValueError, TypeError) as error:
        raise ModelLoadError(f"{folder}: no usable feature classifier ({error})") from None
    model = FeatureClassifier(info.channels, len(info.classes))
    model.load_state_dict(read_tensors(folder / "classifier.safetensors"))
    return model.eval(), info
