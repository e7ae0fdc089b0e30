import dataclasses
import json
import pickle
from pathlib import Path

import pytest
import torch

from engine.checkpoints import ModelStore, create_model_folder, load_model, read_spec, save_model_folder
from engine.checkpoints.model_files import MODEL_JSON, MODEL_WEIGHTS
from engine.errors import ConfigError, ModelLoadError
from engine.models import SolverSettings
from engine.sampling import SAMPLERS
from helpers import save_tiny_model, tiny_spec


def outputs(model):
    x = torch.randn(2, model.spec.channels, 8, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return model.network(x, torch.tensor([10, 500]))


def test_round_trip_gives_the_same_network(tmp_path):
    folder = save_tiny_model(tmp_path / "m")
    first, second = load_model(folder), load_model(folder)
    assert torch.equal(outputs(first), outputs(second))
    assert first.spec == second.spec


def test_read_spec_gives_the_architecture_without_reading_the_weights(tmp_path):
    folder = save_tiny_model(tmp_path / "m")
    spec = load_model(folder).spec
    (folder / MODEL_WEIGHTS).write_bytes(b"not weights")  # read_spec must not open them
    assert read_spec(folder) == spec
    with pytest.raises(ModelLoadError):
        load_model(folder)
    with pytest.raises(ModelLoadError, match="no model here"):
        read_spec(tmp_path / "nothing")


def test_the_spec_records_the_trained_solver_and_what_a_request_runs():
    spec = tiny_spec(solver={"method": "rk4", "steps": 2})
    assert spec.trained_solver == SolverSettings("rk4", 2)
    assert spec.solver_used(None) == SolverSettings("rk4", 2)
    assert spec.solver_used(SolverSettings("euler")) == SolverSettings("euler")


def test_half_precision_storage_loads_as_float32(tmp_path):
    spec = tiny_spec()
    network = spec.build_network()
    save_model_folder(tmp_path / "full", spec, network.state_dict())
    save_model_folder(tmp_path / "half", spec, network.state_dict(), half=True)
    full, half = load_model(tmp_path / "full"), load_model(tmp_path / "half")
    size = lambda p: (p / MODEL_WEIGHTS).stat().st_size  # noqa: E731
    assert size(tmp_path / "half") < 0.6 * size(tmp_path / "full")
    assert all(p.dtype == torch.float32 for p in half.network.parameters())
    assert torch.allclose(outputs(full), outputs(half), atol=1e-2)


class Payload:
    """Unpickling this creates a marker file: proof that code ran."""

    marker: Path

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pickle_checkpoints_are_refused_and_never_executed(tmp_path):
    Payload.marker = tmp_path / "pwned"
    for name in ("evil.safetensors", "evil.pt"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps(Payload()))
        with pytest.raises(ModelLoadError, match="pickle|not a model"):
            load_model(path)
    zip_checkpoint = tmp_path / "zip.safetensors"
    torch.save({"w": torch.zeros(1)}, zip_checkpoint)
    with pytest.raises(ModelLoadError, match="pickle"):
        load_model(zip_checkpoint)
    assert not Payload.marker.exists()


def test_weights_that_do_not_match_the_metadata_are_refused(tmp_path):
    folder = save_tiny_model(tmp_path / "m")
    data = json.loads((folder / MODEL_JSON).read_text())
    data["network"]["base_channels"] = 8
    (folder / MODEL_JSON).write_text(json.dumps(data))
    with pytest.raises(ModelLoadError, match="do not match|shape"):
        load_model(folder)


def test_metadata_that_lies_about_channels_is_refused(tmp_path):
    folder = save_tiny_model(tmp_path / "m")
    data = json.loads((folder / MODEL_JSON).read_text())
    data["channels"] = 3
    (folder / MODEL_JSON).write_text(json.dumps(data))
    with pytest.raises(ModelLoadError, match="channels"):
        load_model(folder)


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda d: d.update(arch="transformer"), "unknown architecture"),
        (lambda d: d.update(format="something-else"), "not a cUNet Studio model"),
        (lambda d: d.update(format_version=99), "version"),
        (lambda d: d["network"].update(wings=2), "unknown fields"),
        (lambda d: d.update(prediction="x0"), "prediction"),
        (lambda d: d.pop("schedule"), "schedule"),
    ],
)
def test_bad_metadata_gets_a_specific_message(tmp_path, edit, message):
    folder = save_tiny_model(tmp_path / "m")
    data = json.loads((folder / MODEL_JSON).read_text())
    edit(data)
    (folder / MODEL_JSON).write_text(json.dumps(data))
    with pytest.raises(ModelLoadError, match=message):
        load_model(folder)


def test_truncated_or_corrupt_weights_are_refused(tmp_path):
    folder = save_tiny_model(tmp_path / "m")
    weights = folder / MODEL_WEIGHTS
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="damaged|truncated|readable"):
        load_model(folder)
    (folder / MODEL_JSON).write_text("{not json")
    with pytest.raises(ModelLoadError, match="JSON"):
        load_model(folder)


def test_nan_weights_are_refused(tmp_path):
    spec = tiny_spec()
    state = spec.build_network().state_dict()
    next(v for v in state.values() if v.is_floating_point()).fill_(float("nan"))
    save_model_folder(tmp_path / "m", spec, state)
    with pytest.raises(ModelLoadError, match="NaN"):
        load_model(tmp_path / "m")


def test_missing_paths_say_what_is_missing(tmp_path):
    with pytest.raises(ModelLoadError, match="no model here"):
        load_model(tmp_path / "nothing")


def test_store_lists_bundled_and_user_models_and_registers(tmp_path):
    bundled, user = tmp_path / "bundled", tmp_path / "user"
    save_tiny_model(bundled / "alpha")
    (bundled / "broken").mkdir()
    (bundled / "broken" / MODEL_JSON).write_text("oops")
    store = ModelStore(bundled, user)
    assert [(e.name, e.source) for e in store.list()] == [("alpha", "bundled")]
    path = store.register(save_tiny_model(tmp_path / "trained"), "mine")
    assert path == user / "mine"
    assert [(e.name, e.source) for e in store.list()] == [("alpha", "bundled"), ("mine", "user")]
    assert store.resolve("mine") == user / "mine"
    assert load_model(store.resolve("mine")).spec.channels == 1
    with pytest.raises(ConfigError, match="already exists"):
        store.register(tmp_path / "trained", "alpha")
    with pytest.raises(ModelLoadError, match="no model named"):
        store.resolve("zeta")


def test_a_staging_folder_left_by_a_crash_is_not_listed_as_a_model(tmp_path):
    bundled, user = tmp_path / "bundled", tmp_path / "user"
    save_tiny_model(user / ".mine.partial")  # killed between writing and renaming
    store = ModelStore(bundled, user)
    assert store.list() == []
    store.register(save_tiny_model(tmp_path / "trained"), "mine")
    assert [e.name for e in store.list()] == ["mine"] and not (user / ".mine.partial").exists()


def test_a_model_folder_that_fails_to_write_leaves_nothing_behind(tmp_path, monkeypatch):
    """A full disk during export: the retry must not be refused by a half-written folder."""
    model = load_model(save_tiny_model(tmp_path / "trained"))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("engine.checkpoints.model_files.atomic_write_text", disk_full)
    with pytest.raises(OSError):
        create_model_folder(tmp_path / "export", model.spec, model.network.state_dict())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trained"]
    monkeypatch.undo()
    create_model_folder(tmp_path / "export", model.spec, model.network.state_dict())
    assert load_model(tmp_path / "export").spec == model.spec
    with pytest.raises(ConfigError, match="already exists"):
        create_model_folder(tmp_path / "export", model.spec, model.network.state_dict())


def test_safetensors_whose_header_length_starts_like_a_pickle_still_load(tmp_path):
    """The first 8 bytes of a safetensors file are its header length: 0x80 there is legal."""
    spec = tiny_spec()
    network = spec.build_network()
    for padding in range(300):
        padded = dataclasses.replace(spec, card=spec.card | {"pad": "x" * padding})
        save_model_folder(tmp_path / "m", padded, network.state_dict())
        if (tmp_path / "m" / MODEL_WEIGHTS).read_bytes()[:1] == b"\x80":
            break
    else:
        pytest.fail("no padding produced a header length starting with 0x80")
    assert load_model(tmp_path / "m").spec.card["pad"] == "x" * padding


@pytest.mark.parametrize("recommended", ["ddim", {"sampler": "ddim", "steps": None}, {"sampler": 3, "steps": "20"},
                                         {"steps": 0}, {"steps": 10**6}, None, {"sampler": "euler", "steps": 20}])
def test_a_malformed_recommendation_in_a_card_falls_back_to_the_default(recommended):
    """The card is free-form metadata copied in with a model folder: a bad recommendation must not
    stop the app from opening the model (the picker asks for it at start-up)."""
    spec = dataclasses.replace(tiny_spec(1), card={"recommended": recommended})
    sampler, steps = spec.recommended_sampler()
    assert sampler in SAMPLERS and isinstance(steps, int) and 1 <= steps <= spec.schedule.timesteps


def test_a_usable_recommendation_is_taken_as_it_is():
    spec = dataclasses.replace(tiny_spec(1), card={"recommended": {"sampler": "ddpm", "steps": 50}})
    assert spec.recommended_sampler() == ("ddpm", 50)
