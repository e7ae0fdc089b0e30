"""`engine eval --save-images` / `--from-images`: a run measured in parts is the one run they add up to."""

import json

import numpy as np
import pytest

from engine.cli.main import main
from helpers import classifier_of, save_tiny_model, two_level_npz


@pytest.fixture
def setup(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    classifier = classifier_of(two_level_npz(tmp_path / "data" / "d.npz", count=100))
    monkeypatch.setenv("CUNET_STUDIO_DATA", str(tmp_path / "data"))
    model = save_tiny_model(tmp_path / "tiny", class_names=("dark", "light"))
    # --batch 1: each image alone in the network, so a part's numbers cannot differ from the whole run's
    common = ["eval", "--model", str(model), "--steps", "2", "--classifier", str(classifier), "--class", "random",
              "--guidance", "2", "--batch", "1", "--device", "cpu", "--json"]
    return tmp_path, model, classifier, common


def _report(capsys, arguments):
    assert main(arguments) == 0
    return json.loads(capsys.readouterr().out)


def test_parts_measure_exactly_as_the_one_run_they_add_up_to(setup, capsys):
    tmp_path, _, _, common = setup
    whole = _report(capsys, [*common, "-n", "12", "--seed", "3"])
    first = _report(capsys, [*common, "-n", "5", "--seed", "3", "--save-images", str(tmp_path / "parts" / "a.npz")])
    assert first["generated"] == 5  # a part is measured on its own too
    _report(capsys, [*common, "-n", "7", "--seed", "8", "--save-images", str(tmp_path / "parts" / "b.npz")])
    joined = _report(capsys, [*common, "-n", "12", "--seed", "3", "--from-images",
                              str(tmp_path / "parts" / "b.npz"), str(tmp_path / "parts" / "a.npz")])
    assert joined == whole
    assert joined["generated"] == 12 and joined["in_asked_class"] == whole["in_asked_class"]
    with np.load(tmp_path / "parts" / "a.npz") as part:
        assert part["images"].shape == (5, 8, 8, 1) and list(part["seeds"]) == [3, 4, 5, 6, 7]


def test_parts_made_otherwise_or_not_adding_up_are_refused_by_name(setup, capsys):
    tmp_path, model, _, common = setup
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    _report(capsys, [*common, "-n", "4", "--seed", "0", "--save-images", str(a)])
    _report(capsys, [*common, "-n", "4", "--seed", "4", "--steps", "3", "--save-images", str(b)])

    def refused(*arguments):
        assert main([*common, *arguments]) == 2
        return capsys.readouterr().err

    assert "b.npz was made with steps 3, this command asks for 2" in refused("-n", "8", "--from-images", str(a), str(b))
    assert "4 seeds from 4 to 7 are in no part" in refused("-n", "8", "--from-images", str(a))
    assert "seed 0 is in more than one part" in refused("-n", "8", "--from-images", str(a), str(a))
    assert "seed 3 is outside them" in refused("-n", "3", "--from-images", str(a))
    assert "guidance" in refused("-n", "4", "--guidance", "3", "--from-images", str(a))
    other = save_tiny_model(tmp_path / "other", seed=1, class_names=("dark", "light"))
    arguments = [*common, "-n", "4", "--from-images", str(a)]
    arguments[arguments.index(str(model))] = str(other)
    assert main(arguments) == 2 and "a.npz was made with weights" in capsys.readouterr().err
    np.savez(tmp_path / "plain.npz", images=np.zeros((4, 8, 8, 1), np.uint8))
    (tmp_path / "text.npz").write_text("not a zip")
    for path in ("plain.npz", "text.npz"):
        assert "not a file of images written by engine eval --save-images" in refused(
            "-n", "4", "--from-images", str(tmp_path / path))
    assert "no such file" in refused("-n", "4", "--from-images", str(tmp_path / "missing.npz"))
    with np.load(a) as part:
        arrays = dict(part)
    np.savez(tmp_path / "damaged.npz", **(arrays | {"settings": np.array("{not json")}))
    assert "damaged.npz is damaged: the settings" in refused("-n", "4", "--from-images", str(tmp_path / "damaged.npz"))
    np.savez(tmp_path / "short.npz", **(arrays | {"seeds": arrays["seeds"][:2]}))
    assert "short.npz is damaged: its images, seeds and classes do not match" in refused(
        "-n", "4", "--from-images", str(tmp_path / "short.npz"))


def test_a_part_the_folder_cannot_take_is_refused_before_sampling(setup, capsys):
    tmp_path, _, _, common = setup
    (tmp_path / "file").write_text("")
    assert main([*common, "-n", "4", "--save-images", str(tmp_path / "file" / "a.npz")]) != 0
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "sampling" not in err
