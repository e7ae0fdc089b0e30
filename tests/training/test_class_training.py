"""Class-conditional training: labels from the data, label dropout, resume, fine-tuning an
unconditional model into a conditional one, and the per-class preview grid."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from engine.checkpoints import load_model
from engine.cli.main import main
from engine.errors import ConfigError, DatasetError, ModelLoadError
from engine.generate import GenerationRequest, generate
from engine.training import TrainingConfig, train
from engine.training.class_labels import dropped_labels
from engine.training.init_from import check_weights_fit
from engine.training import model_spec_for
from training.test_training import TINY_NETWORK, tiny_config, weights, weights_after_a_stop_and_resume


def conditional_config(tmp_path, out="run", **changes) -> TrainingConfig:
    return tiny_config(tmp_path, out, classes=True, **changes)


def test_a_run_with_classes_trains_a_model_of_the_datas_classes(tmp_path):
    config = conditional_config(tmp_path, steps=2, class_names=["dark", "light"])
    model = load_model(train(config).model_dir)
    assert model.spec.class_names == ("dark", "light")
    assert model.network.class_embedding.num_embeddings == 3
    torch.manual_seed(config.seed)  # the run's start: its seed's weights
    start = model_spec_for(config, ("dark", "light")).build_network().class_embedding.weight
    moved = (model.network.class_embedding.weight - start).abs().amax(dim=1)
    assert (moved[:2] > 0).all()  # the class rows trained (at lr 1e-30 they stay exactly at this start)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["classes"] is True
    labels = np.load(tmp_path / "data.npz")["labels"]  # the card records how often each class is in the data
    assert model.spec.card["class_shares"] == [round(float(np.mean(labels == c)), 4) for c in (0, 1)]
    assert load_model(tmp_path / "run").spec.class_names == ("dark", "light")  # the checkpoint too


def test_without_names_the_classes_are_named_by_the_labels(tmp_path):
    assert load_model(train(conditional_config(tmp_path, steps=1)).model_dir).spec.class_names == ("0", "1")


def test_classes_on_data_without_labels_is_a_clear_error_that_writes_nothing(tmp_path):
    np.savez(tmp_path / "plain.npz", images=np.zeros((8, 8, 8), np.uint8))
    with pytest.raises(DatasetError, match="training by class \\(--classes\\) needs the data's class labels, but .* has none"):
        train(conditional_config(tmp_path, data=str(tmp_path / "plain.npz")))
    assert not (tmp_path / "run").exists()


def test_class_names_must_name_every_class_and_need_classes(tmp_path):
    with pytest.raises(ConfigError, match="3 class names given, but the data has 2 classes \\(0, 1\\)"):
        train(conditional_config(tmp_path, class_names=["a", "b", "c"]))
    with pytest.raises(ConfigError, match="class names need a class-conditional run"):
        tiny_config(tmp_path, class_names=["a", "b"])
    with pytest.raises(ConfigError, match="class dropout must be in"):
        conditional_config(tmp_path, class_dropout=1.0)
    assert not (tmp_path / "run").exists()


def test_label_dropout_replaces_the_given_share_by_the_null_label_reproducibly():
    labels = torch.arange(20_000) % 4

    def drop(probability, seed=0):
        return dropped_labels(labels, 4, probability, torch.Generator().manual_seed(seed))

    dropped = drop(0.1)
    assert (dropped == 4).float().mean().item() == pytest.approx(0.1, abs=0.01)
    kept = dropped != 4
    assert torch.equal(dropped[kept], labels[kept])
    assert torch.equal(drop(0.1), dropped) and not torch.equal(drop(0.1, seed=1), dropped)
    assert torch.equal(drop(0.0), labels)


def test_a_resumed_conditional_run_is_bit_identical_to_an_uninterrupted_one(tmp_path):
    train(conditional_config(tmp_path, "straight"))
    a, b = weights(tmp_path / "straight"), weights_after_a_stop_and_resume(conditional_config(tmp_path, "split"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_resumed_run_whose_data_now_has_other_classes_is_refused(tmp_path):
    train(conditional_config(tmp_path, steps=1))
    data = np.load(tmp_path / "data.npz")
    np.savez(tmp_path / "data.npz", images=data["images"], labels=data["labels"] + 5)
    with pytest.raises(ConfigError, match="trained on the classes 0, 1, but its data now gives 5, 6"):
        train(conditional_config(tmp_path, steps=2), resume=True)


def test_an_unconditional_model_starts_a_conditional_run_computing_exactly_itself_for_no_class(tmp_path):
    """--init-from a bundled (unconditional) model: the "no class" row starts at zero, so before any
    training the conditional model samples what the unconditional one did when guided to no class
    (guidance 0), whichever class is asked for; the class rows start apart, so a class is heard at once."""
    source = load_model(train(tiny_config(tmp_path, "source", steps=3)).model_dir)
    tuned = train(conditional_config(tmp_path, "tuned", steps=1, lr=1e-12, warmup_steps=1, ema_decay=0.0,
                                     init_from=str(source.source)))
    model = load_model(tuned.model_dir)
    assert model.spec.class_names == ("0", "1")
    training = model.spec.card["training"]
    assert training["init_from"] == str(source.source) and "preset" not in training  # not the unused --preset
    request = dict(count=2, seed=3, sampler="ddpm", steps=5)
    expected = generate(source, GenerationRequest(**request)).images
    for label in (0, 1):
        unconditional = generate(model, GenerationRequest(**request, class_label=label, guidance=0.0)).images
        assert np.abs(unconditional.astype(int) - expected.astype(int)).max() <= 1  # lr 1e-12: float rounding only
    by_class = [generate(model, GenerationRequest(**request, class_label=label, guidance=1.0)).images for label in (0, 1)]
    assert not np.array_equal(by_class[0], by_class[1])


def test_a_conditional_model_does_not_start_an_unconditional_run_or_one_of_other_classes(tmp_path):
    source = train(conditional_config(tmp_path, "source", steps=1)).model_dir
    with pytest.raises(ConfigError, match="it is conditional on 2 classes, this run is unconditional"):
        train(tiny_config(tmp_path, "plain", init_from=str(source)))
    np.savez(tmp_path / "three.npz", images=np.zeros((9, 8, 8), np.uint8), labels=np.arange(9) % 3)
    with pytest.raises(ConfigError, match="it is conditional on 2 classes, this run on 3"):
        train(conditional_config(tmp_path, "three", data=str(tmp_path / "three.npz"), init_from=str(source)))
    assert not (tmp_path / "plain").exists() and not (tmp_path / "three").exists()


def test_only_the_class_embedding_may_be_missing_from_the_starting_weights(tmp_path):
    spec = model_spec_for(conditional_config(tmp_path), ("a", "b"))
    unconditional = model_spec_for(tiny_config(tmp_path)).build_network().state_dict()
    check_weights_fit("m", spec, unconditional)
    lacking = {k: v for k, v in unconditional.items() if k != "stem.weight"}
    with pytest.raises(ModelLoadError, match="1 missing, e.g. \\['stem.weight'\\]"):
        check_weights_fit("m", spec, lacking)
    with pytest.raises(ModelLoadError, match="1 unexpected"):
        check_weights_fit("m", spec, unconditional | {"extra.weight": torch.zeros(1)})


def test_the_preview_grid_has_a_row_per_class_named_beside_it(tmp_path):
    train(conditional_config(tmp_path, steps=2, sample_every=2, sample_count=4, class_names=["dark", "light"]))
    grid = np.asarray(Image.open(tmp_path / "run" / "samples" / "step-00000002.png"))
    train(tiny_config(tmp_path, "plain", steps=2, sample_every=2, sample_count=4))
    plain = np.asarray(Image.open(tmp_path / "plain" / "samples" / "step-00000002.png"))
    assert grid.shape[1] > plain.shape[1]  # the names' margin
    assert (grid[:, :20] < 128).any()  # dark text on the white margin


def test_engine_train_fine_tunes_a_model_into_a_conditional_one(tmp_path, capsys):
    source = train(tiny_config(tmp_path, "source", steps=1)).model_dir
    common = ["--data", str(tmp_path / "data.npz"), "--batch", "4", "--size", "8", "--channels", "1", "--device",
              "cpu", "--threads", "1", "--val-fraction", "0", "--sample-every", "100", "--steps", "1"]
    assert main(["train", "--out", str(tmp_path / "tuned"), "--init-from", str(source), "--classes",
                 "--class-names", "dark, light", "--class-dropout", "0.2", *common]) == 0
    config = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert (config["classes"], config["class_names"], config["class_dropout"]) == (True, ["dark", "light"], 0.2)
    assert load_model(tmp_path / "tuned" / "model").spec.class_names == ("dark", "light")
    assert main(["train", "--out", str(tmp_path / "bad"), "--network", json.dumps(TINY_NETWORK), "--class-names",
                 "a,b", *common]) == 2
    assert "class names need a class-conditional run (--classes)" in capsys.readouterr().err


def test_a_model_json_written_before_newer_config_fields_can_start_a_run(tmp_path):
    """The bundled models' model.json lack fields added since (noise_map, unshuffle, num_classes):
    their defaults are what the model has, so --init-from must not call them a difference."""
    source = train(tiny_config(tmp_path, "source", steps=1)).model_dir
    data = json.loads((source / "model.json").read_text())
    for key in ("noise_map", "unshuffle", "num_classes"):
        del data["network"][key]
    (source / "model.json").write_text(json.dumps(data))
    assert train(conditional_config(tmp_path, "tuned", steps=1, init_from=str(source))).step == 1
