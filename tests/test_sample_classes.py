"""Sampling a class-conditional model: `engine sample --class C --guidance W`, the engine's checks,
the class and guidance saved in the PNG, and `engine models` listing the classes."""

import json

import numpy as np
import pytest
from PIL import Image

from engine.checkpoints import load_model
from engine.cli.main import main
from engine.errors import ConfigError
from engine.generate import GenerationRequest, generate
from engine.guidance import is_random_choice
from helpers import save_tiny_model

CLASSES = ("Circle", "Square", "Star")


@pytest.fixture
def conditional(tmp_path):
    return save_tiny_model(tmp_path / "shapes", class_names=CLASSES)


def sample(model, out, *options):
    return main(["sample", "--model", str(model), "-n", "2", "--steps", "3", "--out", str(out), "--device", "cpu",
                 "--threads", "1", *options])


def settings(path):
    return json.loads(Image.open(path).text["cunet-studio"])


def test_a_class_by_index_and_by_name_makes_the_same_images(conditional, tmp_path):
    assert sample(conditional, tmp_path / "index", "--class", "1", "--guidance", "3") == 0
    assert sample(conditional, tmp_path / "name", "--class", "square", "--guidance", "3") == 0
    for name in ("sample-000000.png", "sample-000001.png"):
        assert (tmp_path / "index" / name).read_bytes() == (tmp_path / "name" / name).read_bytes()
    recorded = settings(tmp_path / "index" / "sample-000001.png")
    assert (recorded["class_label"], recorded["guidance"]) == (1, 3.0)


def test_the_class_changes_the_images_and_no_class_samples_unconditionally(conditional, tmp_path):
    assert sample(conditional, tmp_path / "circle", "--class", "0") == 0
    assert sample(conditional, tmp_path / "star", "--class", "2") == 0
    assert sample(conditional, tmp_path / "none") == 0
    pixels = {name: np.asarray(Image.open(tmp_path / name / "sample-000000.png"))
              for name in ("circle", "star", "none")}
    assert not np.array_equal(pixels["circle"], pixels["star"])
    recorded = settings(tmp_path / "none" / "sample-000000.png")
    assert recorded["class_label"] is None and recorded["guidance"] is None
    assert settings(tmp_path / "star" / "sample-000000.png")["guidance"] == 2.0  # the default recommendation


def test_an_unknown_class_name_lists_the_classes(conditional, tmp_path, capsys):
    assert sample(conditional, tmp_path / "out", "--class", "Hexagon") == 2
    assert "has no class 'Hexagon'; its classes are 0 Circle, 1 Square, 2 Star" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_guidance_without_a_class_and_a_class_of_an_unconditional_model_are_refused(conditional, tmp_path, capsys):
    assert sample(conditional, tmp_path / "out", "--guidance", "3") == 2
    assert "guidance steers toward a class: choose a class too (--class)" in capsys.readouterr().err
    plain = save_tiny_model(tmp_path / "plain")
    assert sample(plain, tmp_path / "out", "--class", "1") == 2
    assert "is not a class-conditional model" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_settings_from_an_image_bring_back_its_class_and_guidance(conditional, tmp_path):
    assert sample(conditional, tmp_path / "first", "--class", "Star", "--guidance", "4", "--sampler", "ddpm") == 0
    assert main(["sample", "--settings-from", str(tmp_path / "first" / "sample-000001.png"), "--out",
                 str(tmp_path / "again"), "--device", "cpu", "--threads", "1"]) == 0
    again = tmp_path / "again" / "sample-000001.png"
    assert again.read_bytes() == (tmp_path / "first" / "sample-000001.png").read_bytes()
    assert main(["sample", "--settings-from", str(again), "--class", "0", "--out", str(tmp_path / "other"),
                 "--device", "cpu", "--threads", "1"]) == 0
    other = settings(tmp_path / "other" / "sample-000001.png")
    assert other["class_label"] == 0 and other["guidance"] == 2.0  # another class: the model's own scale


def test_the_engine_checks_a_request_against_the_model(conditional):
    model = load_model(conditional)
    with pytest.raises(ConfigError, match="has no class 3"):
        generate(model, GenerationRequest(count=1, steps=2, class_label=3))
    with pytest.raises(ConfigError, match="guidance must be a number >= 0"):
        GenerationRequest(class_label=0, guidance=-0.5)
    with pytest.raises(ConfigError, match="guidance steers toward a class"):
        GenerationRequest(guidance=2.0)
    assert generate(model, GenerationRequest(count=1, steps=2, class_label=2, guidance=1.5)).guidance == 1.5
    assert generate(model, GenerationRequest(count=1, steps=2)).guidance is None


def test_models_lists_the_classes_of_a_conditional_model(conditional, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CUNET_STUDIO_HOME", str(tmp_path))
    save_tiny_model(tmp_path / "models" / "shapes", class_names=CLASSES)
    save_tiny_model(tmp_path / "models" / "plain")
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = lines[lines.index(next(line for line in lines if line.startswith("shapes"))) + 1]
    assert listed.strip() == "classes (engine sample --class): 0 Circle, 1 Square, 2 Star"
    assert lines[lines.index(listed) + 1].strip() == "recommended guidance (engine sample --guidance): 2"
    plain = next(index for index, line in enumerate(lines) if line.startswith("plain"))
    assert not lines[plain + 1].strip().startswith("classes")
    assert main(["models", "--json"]) == 0
    listing = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert listing["shapes"]["classes"] == list(CLASSES) and listing["plain"]["classes"] == []


def test_models_says_how_often_a_random_class_is_each_where_the_card_records_the_datas_shares(
        conditional, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CUNET_STUDIO_HOME", str(tmp_path))
    save_tiny_model(tmp_path / "models" / "shapes", class_names=CLASSES, card={"class_shares": [1, 2, 1]})
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    shapes = next(index for index, line in enumerate(lines) if line.startswith("shapes"))
    assert lines[shapes + 3].strip() == ("--class random draws them as often as its training data: "
                                         "Square 50.0\u00a0%, Circle 25.0\u00a0%, Star 25.0\u00a0%")
    assert main(["models", "--json"]) == 0
    listing = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert listing["shapes"]["class_shares"] == [0.25, 0.5, 0.25]


def test_a_random_class_per_image_is_each_image_of_its_class_and_seed(conditional, tmp_path):
    """--class random: every image guided toward a class drawn from its seed, recorded as that
    class, so the image made again from its file alone is the same image."""
    assert sample(conditional, tmp_path / "random", "--class", "RANDOM", "-n", "6", "--guidance", "2.5",
                  "--grid") == 0
    labels = [settings(tmp_path / "random" / f"sample-{i:06d}.png")["class_label"] for i in range(6)]
    assert set(labels) <= {0, 1, 2} and len(set(labels)) > 1
    grid = settings(tmp_path / "random" / "grid.png")
    assert (grid["random_class"], grid["class_label"], grid["count"]) == (True, None, 6)
    for i in (0, 5):
        image = tmp_path / "random" / f"sample-{i:06d}.png"
        assert main(["sample", "--settings-from", str(image), "--out", str(tmp_path / f"again{i}"), "--device", "cpu",
                     "--threads", "1"]) == 0
        assert (tmp_path / f"again{i}" / image.name).read_bytes() == image.read_bytes()
    assert sample(conditional, tmp_path / "fixed", "--class", str(labels[3]), "--seed", "3", "-n", "1",
                  "--guidance", "2.5") == 0
    assert (tmp_path / "fixed" / "sample-000003.png").read_bytes() == (
        tmp_path / "random" / "sample-000003.png").read_bytes()


def test_a_card_s_scales_per_class_guide_each_random_image_at_its_class_s_and_replay_alike(tmp_path, monkeypatch,
                                                                                           capsys):
    """Without --guidance, a random class per image guides each image at its class's recommended
    scale: each image's file records its own, the grid's records none (each its class's), and
    both make the same images again."""
    monkeypatch.setenv("CUNET_STUDIO_HOME", str(tmp_path))
    card = {"recommended": {"guidance": 2.0, "class_guidance": {"Star": 0.5}}}
    model = save_tiny_model(tmp_path / "models" / "shapes", class_names=CLASSES, card=card)
    assert main(["models"]) == 0
    assert "recommended guidance (engine sample --guidance): 2 (Star 0.5)" in capsys.readouterr().out
    assert sample(model, tmp_path / "random", "--class", "random", "-n", "8", "--grid") == 0
    images = [settings(tmp_path / "random" / f"sample-{i:06d}.png") for i in range(8)]
    assert all(image["guidance"] == (0.5 if image["class_label"] == 2 else 2.0) for image in images)
    assert {0.5, 2.0} <= {image["guidance"] for image in images}
    grid = settings(tmp_path / "random" / "grid.png")
    assert (grid["random_class"], grid["guidance"]) == (True, None)
    for made in ("grid.png", "sample-000003.png"):
        assert main(["sample", "--settings-from", str(tmp_path / "random" / made), "--out", str(tmp_path / made),
                     "--device", "cpu", "--threads", "1", "--grid"]) == 0
        assert (tmp_path / made / "sample-000003.png").read_bytes() == (
            tmp_path / "random" / "sample-000003.png").read_bytes()


def test_a_class_named_random_is_that_class(tmp_path):
    model = load_model(save_tiny_model(tmp_path / "odd", class_names=("Random", "Plain")))
    assert not is_random_choice(model.spec, "random")
    assert is_random_choice(load_model(save_tiny_model(tmp_path / "shapes", class_names=CLASSES)).spec, " Random ")


def test_a_random_class_of_an_unconditional_model_is_refused_before_anything_is_written(tmp_path, capsys):
    plain = save_tiny_model(tmp_path / "plain")
    assert sample(plain, tmp_path / "out", "--class", "random") == 2
    assert "is not a class-conditional model" in capsys.readouterr().err
    assert main(["eval", "--model", str(plain), "-n", "4", "--steps", "2", "--class", "random", "--device", "cpu"]) == 2
    assert "is not a class-conditional model" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
