"""Sample-quality measurement without Inception weights: a small classifier trained on the
dataset's own labels provides the feature space for a Frechet distance (FD), the held-out
accuracy that says how good that feature space is, and the class histogram of generated images
(mode coverage)."""

from engine.evaluation.classifier import FeatureClassifier, load_classifier, save_classifier, train_classifier
from engine.evaluation.frechet import frechet_distance
from engine.evaluation.reference import DATA_ENV, EvaluationReference, open_reference, reference_warnings
from engine.evaluation.report import QualityReport, evaluate_samples

__all__ = [
    "DATA_ENV",
    "EvaluationReference",
    "FeatureClassifier",
    "QualityReport",
    "evaluate_samples",
    "frechet_distance",
    "load_classifier",
    "open_reference",
    "reference_warnings",
    "save_classifier",
    "train_classifier",
]
