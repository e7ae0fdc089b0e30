import json

import numpy as np
import pytest
import torch

from engine.cli.main import main
from engine.evaluation import frechet_distance, load_classifier, save_classifier, train_classifier
from engine.evaluation.classifier import ClassifierInfo, FeatureClassifier, predict
from engine.evaluation.labelled_data import load_labelled
from engine.evaluation.reference import EvaluationReference
from helpers import classifier_of, save_tiny_model, two_level_npz


def test_frechet_distance_of_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    b = rng.normal(size=(4000, 3))
    assert frechet_distance(a, b) < 0.02
    assert abs(frechet_distance(a, b + np.array([2.0, 0, 0])) - 4.0) < 0.25
    # Scaling one set's std by 2 in every dimension: D * (2 - 1)^2 = 3.
    assert abs(frechet_distance(a, 2 * b) - 3.0) < 0.25


def test_classifier_learns_labels_and_round_trips(tmp_path):
    data = load_labelled(two_level_npz(tmp_path / "d.npz", count=200), 8, 1)
    assert data.classes == ["0", "1"] and len(data.held_out_images) == 40
    model = train_classifier(data.train_images, data.train_labels, 2, epochs=2, batch=32)
    features, predicted, confidence = predict(model, data.held_out_images)
    assert features.shape == (40, 128)
    assert (predicted == data.held_out_labels.numpy()).mean() == 1.0
    assert confidence.shape == (40,) and np.all((confidence >= 0.5) & (confidence <= 1))
    info = ClassifierInfo(1, 8, data.classes, 1.0, str(tmp_path / "d.npz"))
    save_classifier(tmp_path / "clf", model, info)
    loaded, loaded_info = load_classifier(tmp_path / "clf")
    assert loaded_info == info
    assert torch.equal(loaded.features(data.held_out_images), model.features(data.held_out_images))


def test_eval_command_reports_fd_accuracy_and_histogram(tmp_path, capsys, monkeypatch):
    (tmp_path / "data").mkdir()
    classifier = classifier_of(two_level_npz(tmp_path / "data" / "d.npz", count=100))
    monkeypatch.setenv("CUNET_STUDIO_DATA", str(tmp_path / "data"))  # where the dataset is found by name
    tiny = save_tiny_model(tmp_path / "tiny")
    code = main(["eval", "--model", str(tiny), "-n", "16", "--steps", "3", "--classifier", str(classifier),
                 "--json", "--device", "cpu"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == str(tiny) and report["generated"] == 16 and report["real"] == 20
    assert report["fd"] > 0 and 0 <= report["classifier_accuracy"] <= 1
    assert sum(report["generated_histogram"]) == pytest.approx(1)
    assert 0 <= report["generated_confident"] <= 1 and report["real_confident"] > 0.5
    assert report["warnings"] and "FD from 16 samples is biased upward" in report["warnings"][0]


def test_eval_refuses_data_the_classifier_cannot_rate_and_warns_about_other_data(tmp_path, capsys, monkeypatch):
    (tmp_path / "data").mkdir()
    classifier = classifier_of(two_level_npz(tmp_path / "data" / "d.npz", count=100))
    tiny = str(save_tiny_model(tmp_path / "tiny"))
    common = ["eval", "--model", tiny, "-n", "4", "--steps", "2", "--classifier", str(classifier), "--device", "cpu"]
    three = np.zeros((30, 8, 8), np.uint8)
    np.savez(tmp_path / "three.npz", images=three, labels=np.arange(30) % 3)
    assert main([*common, "--data", str(tmp_path / "three.npz")]) == 2
    assert "labels its images 0, 1, 2, but the classifier" in capsys.readouterr().err
    assert main([*common, "--data", str(two_level_npz(tmp_path / "few.npz", count=12))]) == 2
    assert "holds out only 2 images" in capsys.readouterr().err
    assert main([*common, "--data", str(two_level_npz(tmp_path / "other.npz", count=100, seed=1))]) == 0
    assert "warning: the classifier was trained on d.npz, the real images are from other.npz" in capsys.readouterr().err


def test_eval_without_the_dataset_says_where_it_looked(tmp_path, capsys, monkeypatch):
    (tmp_path / "data").mkdir()
    classifier = classifier_of(two_level_npz(tmp_path / "data" / "d.npz", count=100))
    monkeypatch.setenv("CUNET_STUDIO_DATA", str(tmp_path / "elsewhere"))
    code = main(["eval", "--model", str(save_tiny_model(tmp_path / "tiny")), "-n", "4", "--steps", "2",
                 "--classifier", str(classifier), "--device", "cpu"])
    assert code == 2
    error = capsys.readouterr().err
    assert "d.npz" in error and "elsewhere" in error and "--data" in error


def test_eval_refuses_a_classifier_for_other_images_and_too_few_samples(tmp_path, capsys, monkeypatch):
    (tmp_path / "data").mkdir()
    classifier = classifier_of(two_level_npz(tmp_path / "data" / "d.npz", count=100))  # 8 px, 1 channel
    monkeypatch.setenv("CUNET_STUDIO_DATA", str(tmp_path / "data"))
    for model, expected in ((save_tiny_model(tmp_path / "colour", channels=3), "8 px images with 3"),
                            (save_tiny_model(tmp_path / "larger", image_size=16), "16 px images with 1")):
        code = main(["eval", "--model", str(model), "-n", "4", "--steps", "2", "--classifier", str(classifier),
                     "--device", "cpu"])
        error = capsys.readouterr().err
        assert code == 2 and expected in error and "--classifier" in error, error
    code = main(["eval", "--model", str(tmp_path / "colour"), "-n", "1", "--device", "cpu"])
    assert code == 2 and "at least 2" in capsys.readouterr().err


def test_the_selection_reference_measures_against_training_images_never_the_held_out_ones(tmp_path):
    torch.manual_seed(0)
    info = ClassifierInfo(channels=1, image_size=8, classes=["0", "1"], held_out_accuracy=1.0, dataset="data.npz")
    data = load_labelled(two_level_npz(tmp_path / "data.npz", count=40), 8, 1)
    reference = EvaluationReference(FeatureClassifier(1, 2), info, data)
    selection = reference.for_selection(count=12)
    assert torch.equal(selection.data.held_out_images, data.train_images[:12])
    assert torch.equal(selection.data.held_out_labels, data.train_labels[:12])
    generated = np.full((6, 8, 8, 1), 200, np.uint8)
    assert selection.evaluate(generated).real == 12 and reference.evaluate(generated).real == 8


def test_eval_of_a_class_or_random_classes_reports_the_share_in_the_class_asked_for(tmp_path, capsys, monkeypatch):
    (tmp_path / "data").mkdir()
    classifier = classifier_of(two_level_npz(tmp_path / "data" / "d.npz", count=100))
    monkeypatch.setenv("CUNET_STUDIO_DATA", str(tmp_path / "data"))
    model = save_tiny_model(tmp_path / "tiny", class_names=("dark", "light"))
    reports = {}
    for choice in ("random", "light"):
        assert main(["eval", "--model", str(model), "-n", "12", "--steps", "2", "--classifier", str(classifier),
                     "--class", choice, "--guidance", "3", "--json", "--device", "cpu"]) == 0
        reports[choice] = json.loads(capsys.readouterr().out)
    for report in reports.values():
        assert report["guidance"] == 3.0 and 0 <= report["in_asked_class"] <= 1 and report["fd"] > 0
    assert reports["random"]["real"] == 20 and reports["light"]["real"] < 20  # one class: its held-out images
    assert reports["light"]["in_asked_class"] == reports["light"]["generated_histogram"][1]  # one share, unrounded
    card = {"recommended": {"guidance": 2.0, "class_guidance": {"light": 0.5}}}
    own = save_tiny_model(tmp_path / "own", class_names=("dark", "light"), card=card)
    assert main(["eval", "--model", str(own), "-n", "12", "--steps", "2", "--classifier", str(classifier),
                 "--class", "random", "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["guidance"] is None and report["guidance_by_class"] == {"dark": 2.0, "light": 0.5}
    three = save_tiny_model(tmp_path / "three", class_names=("a", "b", "c"))
    assert main(["eval", "--model", str(three), "-n", "4", "--steps", "2", "--classifier", str(classifier),
                 "--class", "random", "--device", "cpu"]) == 2
    assert "the classifier knows 2 classes" in capsys.readouterr().err
