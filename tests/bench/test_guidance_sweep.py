"""benchmarks/guidance_sweep.py end to end on a tiny conditional model and a tiny classifier: a row
per guidance scale with the accuracy and FD per class and overall."""

import argparse
import json

import pytest
import torch
from bench.conftest import load_benchmark_script
from helpers import save_tiny_model, two_level_npz

from engine.evaluation.classifier import ClassifierInfo, FeatureClassifier, save_classifier

sweep = load_benchmark_script("guidance_sweep")


@pytest.fixture
def classifier(tmp_path):
    torch.manual_seed(0)
    folder = tmp_path / "classifier"
    folder.mkdir()
    info = ClassifierInfo(channels=1, image_size=8, classes=["0", "1"], held_out_accuracy=1.0, dataset="data.npz")
    save_classifier(folder, FeatureClassifier(1, 2), info)
    return folder


def test_the_sweep_measures_every_scale_per_class_and_overall(tmp_path, classifier, capsys):
    model = save_tiny_model(tmp_path / "model", class_names=("dark", "light"))
    data = two_level_npz(tmp_path / "data.npz", count=80)
    out = tmp_path / "sweep.json"
    sweep.main([str(model), "--guidance", "0,1,3", "-n", "4", "--steps", "2", "--classifier", str(classifier),
                "--data", str(data), "--device", "cpu", "--threads", "1", "--out", str(out)])
    results = json.loads(out.read_text())
    assert [row["guidance"] for row in results["rows"]] == [0.0, 1.0, 3.0]
    for row in results["rows"]:
        assert [c["class"] for c in row["classes"]] == ["dark", "light"]
        assert [c["classifier_class"] for c in row["classes"]] == ["0", "1"]
        assert all(0 <= c["accuracy"] <= 1 and c["fd"] >= 0 and c["held_out_real"] >= 4 for c in row["classes"])
        assert row["fd"] >= 0 and row["accuracy"] == pytest.approx(sum(c["accuracy"] for c in row["classes"]) / 2)
        for c in row["classes"]:  # 4 images a class: never MIN_GROUP of them classified, so no FD of that group
            assert c["fd_classified"] is None
        assert row["mean_class_fd_classified"] is None
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["guidance", "accuracy", "FD", "class", "FD"] and len(table) == 4


def test_the_baseline_row_groups_an_unconditional_model_s_images_by_their_classified_class(tmp_path, classifier):
    model = save_tiny_model(tmp_path / "model", class_names=("dark", "light"))
    plain = save_tiny_model(tmp_path / "plain")
    data = two_level_npz(tmp_path / "data.npz", count=80)
    out = tmp_path / "sweep.json"
    sweep.main([str(model), "--guidance", "1", "-n", "12", "--steps", "2", "--classifier", str(classifier),
                "--data", str(data), "--device", "cpu", "--threads", "1", "--baseline", str(plain), "--out", str(out)])
    baseline = json.loads(out.read_text())["baseline"]
    shares = [c["share"] for c in baseline["classes"]]
    assert baseline["model"] == str(plain) and sum(shares) == pytest.approx(1.0) and baseline["fd"] >= 0
    for row, share in zip(baseline["classes"], shares):  # 24 images: a group of 10 or more has an FD
        assert (row["fd"] is not None) == (share * 24 >= sweep.MIN_GROUP)


def test_an_unconditional_model_or_another_classifier_is_refused(tmp_path, classifier):
    data = two_level_npz(tmp_path / "data.npz")
    options = ["--classifier", str(classifier), "--data", str(data), "--device", "cpu",
               "--out", str(tmp_path / "o.json")]
    with pytest.raises(SystemExit, match="not a class-conditional model"):
        sweep.main([str(save_tiny_model(tmp_path / "plain")), *options])
    with pytest.raises(SystemExit, match="the classifier knows 2 classes, the model 3"):
        sweep.main([str(save_tiny_model(tmp_path / "three", class_names=("a", "b", "c"))), *options])
    assert not (tmp_path / "o.json").exists()


def test_card_samples_each_class_at_its_recommended_scale(tmp_path, classifier):
    card = {"recommended": {"guidance": 2.0, "class_guidance": {"light": 0.5}}}
    model = save_tiny_model(tmp_path / "model", class_names=("dark", "light"), card=card)
    data = two_level_npz(tmp_path / "data.npz", count=80)
    out = tmp_path / "sweep.json"
    sweep.main([str(model), "--guidance", "card,2", "-n", "4", "--steps", "2", "--classifier", str(classifier),
                "--data", str(data), "--device", "cpu", "--threads", "1", "--out", str(out)])
    card_row, fixed = json.loads(out.read_text())["rows"]
    assert card_row["guidance"] == "card" and [c["guidance"] for c in card_row["classes"]] == [2.0, 0.5]
    assert [c["guidance"] for c in fixed["classes"]] == [2.0, 2.0]
    assert card_row["classes"][0] == fixed["classes"][0]  # the same class at the same scale: the same images
    assert card_row["classes"][1]["fd"] != fixed["classes"][1]["fd"]


def test_scales_are_a_list_of_numbers_from_zero():
    assert sweep.guidance_scales("0, 1,2.5,card") == [0.0, 1.0, 2.5, None]
    for text in ("", "1,x", "-1"):
        with pytest.raises(argparse.ArgumentTypeError, match="guidance scales|numbers"):
            sweep.guidance_scales(text)


def test_selection_measures_against_the_training_split(tmp_path, classifier):
    model = save_tiny_model(tmp_path / "model", class_names=("dark", "light"))
    data = two_level_npz(tmp_path / "data.npz", count=80)  # 64 training images, 16 held out
    out = tmp_path / "sweep.json"
    common = [str(model), "--guidance", "1", "-n", "4", "--steps", "2", "--classifier", str(classifier),
              "--data", str(data), "--device", "cpu", "--threads", "1", "--out", str(out)]
    sweep.main(common)
    held_out = json.loads(out.read_text())
    sweep.main([*common, "--selection"])
    selection = json.loads(out.read_text())
    assert (held_out["compared_with"], selection["compared_with"]) == ("held-out images", "training split (selection)")
    assert sum(c["held_out_real"] for c in held_out["rows"][0]["classes"]) == 16
    assert sum(c["held_out_real"] for c in selection["rows"][0]["classes"]) == 64


def test_a_class_s_images_the_classifier_puts_in_it_get_an_fd_of_their_own(tmp_path, classifier):
    model = save_tiny_model(tmp_path / "model", class_names=("dark", "light"))
    data = two_level_npz(tmp_path / "data.npz", count=80)
    out = tmp_path / "sweep.json"
    sweep.main([str(model), "--guidance", "1", "-n", "12", "--steps", "2", "--classifier", str(classifier),
                "--data", str(data), "--device", "cpu", "--threads", "1", "--out", str(out)])
    row = json.loads(out.read_text())["rows"][0]
    for c in row["classes"]:  # 12 images: an FD of the classified group where 10 or more are in the class
        assert (c["fd_classified"] is not None) == (round(c["accuracy"] * 12) >= sweep.MIN_GROUP)
        assert c["fd_classified"] is None or c["fd_classified"] >= 0
    measured = [c["fd_classified"] for c in row["classes"] if c["fd_classified"] is not None]
    assert row["mean_class_fd_classified"] == (pytest.approx(sum(measured) / len(measured)) if measured else None)
