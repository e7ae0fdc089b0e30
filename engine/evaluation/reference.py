"""What a model is measured against: its frozen classifier (benchmarks/classifiers/NAME, named
by the model card's `eval_classifier`) and that classifier's held-out real images. One place for
`engine eval` and benchmarks/quality_sweep.py, which must measure the same way."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.checkpoints import LoadedModel
from engine.errors import ConfigError, DatasetError
from engine.evaluation.classifier import ClassifierInfo, FeatureClassifier, load_classifier, predict
from engine.evaluation.labelled_data import LabelledImages, load_labelled
from engine.evaluation.report import QualityReport, evaluate_samples, uint8_to_tensor
from engine.paths import benchmarks_dir, shared_data_dir

DATA_ENV = "CUNET_STUDIO_DATA"
MIN_HELD_OUT = 4  # the real-vs-real floor splits them in two, and a covariance needs 2 rows
REPORTED_COUNT = 5000  # generated samples behind every number in the docs
SELECTION_IMAGES = 4000  # training-split images that settings are chosen against


@dataclass
class EvaluationReference:
    classifier: FeatureClassifier
    info: ClassifierInfo
    data: LabelledImages

    def evaluate(self, generated: np.ndarray) -> QualityReport:
        """FD, accuracy and class histograms of `generated` images ((N, H, W, C) uint8) against
        the held-out ones."""
        return evaluate_samples(self.classifier, self.info, generated, self.data.held_out_images,
                                self.data.held_out_labels)

    def for_selection(self, count: int = SELECTION_IMAGES) -> EvaluationReference:
        """The same measure against `count` images of the classifier's *training* split instead of
        the held-out ones: settings (a guidance scale, a solver schedule's switch step) are chosen
        there, so that the held-out images measure the chosen setting once, unselected."""
        data = self.data
        selection = LabelledImages(data.train_images, data.train_labels, data.train_images[:count],
                                   data.train_labels[:count], data.classes)
        return EvaluationReference(self.classifier, self.info, selection)

    def classified(self, generated: np.ndarray) -> np.ndarray:
        """The class index the classifier gives each of `generated` ((N, H, W, C) uint8)."""
        return predict(self.classifier, uint8_to_tensor(generated))[1]

    def share_in_class(self, generated: np.ndarray, class_labels: tuple[int, ...]) -> float:
        """The share of `generated` the classifier puts in the class each was asked for (the
        model's class i is the classifier's class i: both are the data's sorted labels)."""
        return float(np.mean(self.classified(generated) == np.asarray(class_labels)))

    def has_class_fd(self, class_index: int) -> bool:
        """Whether class `class_index` holds out enough real images (MIN_HELD_OUT) for an FD of its own."""
        return int((self.data.held_out_labels == class_index).sum()) >= MIN_HELD_OUT

    def evaluate_class(self, generated: np.ndarray, class_index: int) -> tuple[float, QualityReport | None]:
        """(share of `generated` the classifier puts in its class `class_index`, the report against
        the held-out images of that class), the report None when the class holds out fewer than
        MIN_HELD_OUT images, too few for an FD (Noto's "Component" category has 5 in all)."""
        if not self.has_class_fd(class_index):
            return self.evaluate(generated).generated_histogram[class_index], None
        of_class = self.data.held_out_labels == class_index
        real, labels = self.data.held_out_images[of_class], self.data.held_out_labels[of_class]
        report = evaluate_samples(self.classifier, self.info, generated, real, labels)
        return report.generated_histogram[class_index], report

    def check_steering(self, model: LoadedModel, model_name: str, class_label: int | None,
                       random_class: bool) -> None:
        """ConfigError, before any sampling, where a generation asked for a class could not be
        measured: a classifier of other classes than the model's, or one class with too few
        held-out images for an FD of its own."""
        if (class_label is not None or random_class) and len(self.info.classes) != len(model.spec.class_names):
            raise ConfigError(f"the classifier knows {len(self.info.classes)} classes, {model_name} "
                              f"{len(model.spec.class_names)}: give the classifier of the model's data (--classifier)")
        if class_label is not None and not self.has_class_fd(class_label):
            raise ConfigError(f"class {class_label} holds out too few real images for an FD: evaluate --class random")

    def evaluate_generation(self, generated: np.ndarray, class_label: int | None,
                            class_labels: tuple[int, ...] | None) -> tuple[QualityReport, float | None]:
        """What a generation of `generated` asked for is measured against: the report against
        the held-out images of `class_label` if one class was asked for (callers refuse, with
        `check_steering` before sampling, a class that has too few for an FD), else against all of them; and the share in the class
        each image was asked for (`class_labels`, None for an unconditional generation)."""
        report = self.evaluate(generated) if class_label is None else self.evaluate_class(generated, class_label)[1]
        return report, None if class_labels is None else self.share_in_class(generated, class_labels)


def open_reference(
    model: LoadedModel, model_name: str, classifier_dir: Path | None = None, data: Path | None = None
) -> EvaluationReference:
    """The classifier for `model` (`classifier_dir`, else the card's eval_classifier, else the
    model's name) and its held-out images (`data`, else the classifier's dataset file)."""
    folder = classifier_dir or benchmarks_dir() / "classifiers" / str(model.spec.card.get("eval_classifier", model_name))
    classifier, info = load_classifier(folder)
    made = (model.spec.image_size, model.spec.channels)
    if made != (info.image_size, info.channels):  # features of other-sized images would give a meaningless FD
        raise ConfigError(f"the classifier in {folder} rates {info.image_size} px images with {info.channels} "
                          f"channel(s); this model makes {made[0]} px images with {made[1]}: pick a classifier "
                          "trained on images like the model's (--classifier)")
    path = data or held_out_dataset_path(info.dataset)
    images = load_labelled(path, info.image_size, info.channels)
    if images.classes != list(info.classes):
        raise ConfigError(f"{Path(path).name} labels its images {_listed(images.classes)}, but the classifier in "
                          f"{folder} knows {_listed(info.classes)}: give the data it was trained on "
                          f"({Path(info.dataset).name})")
    if len(images.held_out_images) < MIN_HELD_OUT:
        raise DatasetError(f"{Path(path).name} holds out only {len(images.held_out_images)} images (a fifth of it); "
                           f"the measure needs at least {MIN_HELD_OUT} real images to compare with")
    return EvaluationReference(classifier, info, images)


def reference_warnings(reference: EvaluationReference, data: Path | None, count: int) -> list[str]:
    """What makes a measurement less comparable without making it wrong: other data than the
    classifier's own (same classes, e.g. Fashion-MNIST for the digits classifier, is not caught
    otherwise) and fewer samples than the reported numbers use (FD is biased upward at small N)."""
    warnings = []
    expected = Path(reference.info.dataset).name
    if data is not None and Path(data).name != expected:
        warnings.append(f"the classifier was trained on {expected}, the real images are from {Path(data).name}")
    if count < REPORTED_COUNT:
        warnings.append(f"FD from {count:,} samples is biased upward (more the fewer); reported numbers use "
                        f"{REPORTED_COUNT:,}: compare only numbers made with the same -n")
    return warnings


def _listed(classes: list[str]) -> str:
    shown = ", ".join(classes[:5])
    return f"{shown}, ... ({len(classes)} classes)" if len(classes) > 5 else shown


def held_out_dataset_path(dataset: str) -> Path:
    """The classifier's dataset file (stored by name, so the classifiers work in any checkout),
    looked up in $CUNET_STUDIO_DATA and then in the shared data folder beside the repository."""
    name = Path(dataset).name
    folders = [Path(os.environ[DATA_ENV])] if os.environ.get(DATA_ENV) else []
    folders.append(shared_data_dir())
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    raise DatasetError(f"the held-out real images come from {name}, which is not in "
                       f"{' or '.join(str(f) for f in folders)}; pass --data PATH or set {DATA_ENV}")
