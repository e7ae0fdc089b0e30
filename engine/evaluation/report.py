"""Quality report of generated images against held-out real ones in the classifier's features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.evaluation.classifier import ClassifierInfo, FeatureClassifier, predict
from engine.evaluation.frechet import frechet_distance


CONFIDENT = 0.9  # softmax probability above which a sample counts as clearly one class


@dataclass(frozen=True)
class QualityReport:
    fd: float  # Frechet distance, generated vs held-out real, classifier features
    fd_real_split: float  # FD between two halves of the real set: the noise floor at this size
    classifier_accuracy: float  # on the held-out real images (how meaningful the features are)
    generated_confident: float  # fraction of generated images the classifier assigns with p >= 0.9
    real_confident: float  # the same for held-out real images: what "recognisable" looks like
    generated_histogram: list[float]  # fraction of generated images per predicted class, unrounded (the
    # share in a class asked for is read from it, so both say the same; rounding is for printing)
    real_histogram: list[float]
    classes: list[str]
    generated: int
    real: int


def uint8_to_tensor(images: np.ndarray) -> torch.Tensor:
    """(N, H, W, C) uint8 -> (N, C, H, W) float in [-1, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1


def evaluate_samples(
    classifier: FeatureClassifier, info: ClassifierInfo, generated: np.ndarray,
    real: torch.Tensor, real_labels: torch.Tensor,
) -> QualityReport:
    gen_features, gen_classes, gen_confidence = predict(classifier, uint8_to_tensor(generated))
    real_features, real_classes, real_confidence = predict(classifier, real)
    half = len(real_features) // 2
    count = len(info.classes)
    return QualityReport(
        fd=frechet_distance(gen_features, real_features),
        fd_real_split=frechet_distance(real_features[:half], real_features[half:]),
        classifier_accuracy=float((real_classes == real_labels.numpy()).mean()),
        generated_confident=float((gen_confidence >= CONFIDENT).mean()),
        real_confident=float((real_confidence >= CONFIDENT).mean()),
        generated_histogram=(np.bincount(gen_classes, minlength=count) / len(gen_classes)).tolist(),
        real_histogram=(np.bincount(real_classes, minlength=count) / len(real_classes)).tolist(),
        classes=list(info.classes),
        generated=len(gen_features),
        real=len(real_features),
    )
