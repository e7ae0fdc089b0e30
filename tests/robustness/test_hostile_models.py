"""Hostile model files: pickles with a payload, safetensors whose shapes, dtypes or metadata lie,
truncated files, files of the wrong kind. Each is refused by `load_model` (and so by every
command and page that loads models) with a one-line ModelLoadError; the payload never runs.
Basic cases (a pickle, one truncation, NaN weights, bad metadata fields) are in
tests/checkpoints/test_model_files.py; this file adds the adversarial variants."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from engine.checkpoints import load_model
from engine.checkpoints.model_files import MODEL_JSON, MODEL_WEIGHTS
from engine.errors import ModelLoadError
from engine.training.ema import EMA
from engine.training.state import load_checkpoint
from helpers import save_tiny_model, tiny_spec

pytestmark = pytest.mark.timeout(120)
TRUNCATION_POINTS = 13


class Payload:
    """Unpickling this runs `os.system`, which creates the marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def pickle_files(folder: Path, marker: Path) -> list[Path]:
    """Every way we know to smuggle a pickle in: raw (several protocols and suffixes), a torch
    zip checkpoint holding the payload, and a pickle in place of a model folder's weights."""
    folder.mkdir(parents=True, exist_ok=True)
    payload = Payload(marker)
    files = []
    for protocol, name in [(2, "evil.pt"), (4, "evil.ckpt"), (5, "evil.safetensors"), (0, "evil0.safetensors"),
                           (4, "evil.bin")]:
        path = folder / name
        path.write_bytes(pickle.dumps({"state_dict": payload}, protocol=protocol))
        files.append(path)
    zipped = folder / "evil-zip.safetensors"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(payload, protocol=2))
        archive.writestr("archive/version", "3\n")
    zipped.write_bytes(buffer.getvalue())
    files.append(zipped)
    model_folder = save_tiny_model(folder / "evil-folder")
    (model_folder / MODEL_WEIGHTS).write_bytes(pickle.dumps(payload))
    files.append(model_folder)
    return files


def test_pickle_payloads_are_refused_and_never_run(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    unpickled = []
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: unpickled.append(a) or pytest.fail("pickle.loads"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: unpickled.append(a) or pytest.fail("pickle.load"))
    monkeypatch.setattr(torch, "load", lambda *a, **k: unpickled.append(a) or pytest.fail("torch.load"))
    files = pickle_files(tmp_path / "files", marker)
    for path in files:
        with pytest.raises(ModelLoadError) as error:
            load_model(path)
        assert "pickle" in str(error.value) or "not a model" in str(error.value), str(error.value)
        assert "\n" not in str(error.value)
    assert not marker.exists() and not unpickled


def test_the_real_payload_would_run_if_unpickled(tmp_path):
    """The control experiment: the same bytes do run code when unpickled, so the test above would
    notice a loader that unpickles."""
    marker = tmp_path / "pwned"
    (path,) = [p for p in pickle_files(tmp_path / "files", marker) if p.name == "evil.pt"]
    pickle.loads(path.read_bytes())
    assert marker.exists()


@pytest.mark.slow
def test_every_command_refuses_a_pickle_in_a_fresh_process(tmp_path):
    """Through real `engine` processes (nothing patched): sample, denoise and export."""
    marker = tmp_path / "pwned"
    (checkpoint,) = [p for p in pickle_files(tmp_path / "files", marker) if p.name == "evil.ckpt"]
    photo = tmp_path / "photo.png"
    from PIL import Image

    Image.new("RGB", (8, 8), (90, 100, 110)).save(photo)
    script = ("import sys; from engine.cli.main import main\n"
              f"codes = [main(['sample', '--model', {str(checkpoint)!r}, '-n', '1', '--out', {str(tmp_path / 's')!r}]),\n"
              f"         main(['denoise', {str(photo)!r}, '--model', {str(checkpoint)!r}]),\n"
              f"         main(['export', {str(checkpoint)!r}, '--out', {str(tmp_path / 'e')!r}])]\n"
              "print(codes)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env=os.environ | {"OMP_NUM_THREADS": "1"})
    assert result.stdout.strip().splitlines()[-1] == "[2, 2, 2]", result.stdout + result.stderr
    assert result.stderr.count("pickle") == 3 and "Traceback" not in result.stderr
    assert not marker.exists()
    assert not (tmp_path / "s").exists() and not (tmp_path / "e").exists()


def tiny_folder(tmp_path: Path) -> Path:
    return save_tiny_model(tmp_path / "model")


def rewrite_weights(folder: Path, change) -> None:
    """Apply `change(tensors)` to a model folder's weights, keeping its metadata."""
    path = folder / MODEL_WEIGHTS
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    tensors = load_file(str(path))
    change(tensors)
    save_file(tensors, str(path), metadata=metadata)


def first_conv(tensors: dict[str, torch.Tensor]) -> str:
    return next(name for name, t in tensors.items() if t.ndim == 4)


WEIGHT_LIES = {
    "wrong-shape": (lambda t: t.update({first_conv(t): torch.zeros(1, 1, 3, 3)}), "has shape"),
    "flattened": (lambda t: t.update({first_conv(t): t[first_conv(t)].flatten()}), "has shape"),
    "int64": (lambda t: t.update({first_conv(t): t[first_conv(t)].to(torch.int64)}), "dtype"),
    "uint8": (lambda t: t.update({first_conv(t): t[first_conv(t)].to(torch.uint8)}), "dtype"),
    "bool": (lambda t: t.update({first_conv(t): t[first_conv(t)].to(torch.bool)}), "dtype"),
    "missing": (lambda t: t.pop(first_conv(t)), "missing"),
    "extra": (lambda t: t.update({"extra.weight": torch.zeros(3)}), "unexpected"),
    "other-model": (lambda t: t.clear() or t.update({"w": torch.zeros(1)}), "missing"),
    "inf": (lambda t: t.update({first_conv(t): torch.full_like(t[first_conv(t)], float("inf"))}), "infinite"),
}


@pytest.mark.parametrize("lie", WEIGHT_LIES)
def test_weights_with_wrong_shapes_dtypes_or_values_are_refused(tmp_path, lie):
    change, message = WEIGHT_LIES[lie]
    folder = tiny_folder(tmp_path)
    rewrite_weights(folder, change)
    with pytest.raises(ModelLoadError, match=message):
        load_model(folder)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
def test_weights_in_another_float_precision_load_as_float32(tmp_path, dtype):
    folder = tiny_folder(tmp_path)
    reference = load_model(folder)
    rewrite_weights(folder, lambda t: t.update({k: v.to(dtype) for k, v in t.items() if v.is_floating_point()}))
    model = load_model(folder)
    assert all(p.dtype == torch.float32 for p in model.network.parameters())
    tolerance = 0 if dtype == torch.float64 else 1e-2
    for a, b in zip(reference.network.parameters(), model.network.parameters()):
        assert torch.allclose(a, b, atol=tolerance)


def edit_metadata(folder: Path, change) -> None:
    data = json.loads((folder / MODEL_JSON).read_text())
    change(data)
    (folder / MODEL_JSON).write_text(json.dumps(data))


METADATA_LIES = {
    "wider": (lambda d: d["network"].update(base_channels=4096), "has shape|do not match"),
    "billion-wide": (lambda d: d["network"].update(base_channels=10**9), "has shape|do not match|cannot be built"),
    "40-levels": (lambda d: d["network"].update(channel_mults=[2] * 40), "do not match|cannot be built"),
    "zero-width": (lambda d: d["network"].update(base_channels=0), "cannot be built|invalid|has shape"),
    "negative-width": (lambda d: d["network"].update(base_channels=-4), "cannot be built|invalid|has shape"),
    "no-levels": (lambda d: d["network"].update(channel_mults=[]), "cannot be built|invalid|do not match"),
    "other-arch": (lambda d: d.update(arch="unet"), "invalid metadata|do not match|unknown"),
    "huge-image": (lambda d: d.update(image_size=10**6), "out of range"),
    "bool-channels": (lambda d: d.update(channels=True), "should be int"),
    "card-list": (lambda d: d.update(card=["not", "a", "dict"]), "should be dict"),
    "bad-schedule": (lambda d: d["schedule"].update(kind="exponential"), "invalid metadata|schedule"),
    "negative-steps": (lambda d: d["schedule"].update(steps=-5), "invalid metadata|schedule|steps"),
}


@pytest.mark.parametrize("lie", METADATA_LIES)
def test_metadata_that_lies_about_the_architecture_is_refused_quickly(tmp_path, lie):
    """A lie must be caught by comparing shapes, before a network of the claimed size is built:
    a billion-channel network would need terabytes of memory."""
    change, message = METADATA_LIES[lie]
    folder = tiny_folder(tmp_path)
    edit_metadata(folder, change)
    started = time.perf_counter()
    with pytest.raises(ModelLoadError, match=message) as error:
        load_model(folder)
    assert time.perf_counter() - started < 10, "the claimed network must not be built for real"
    assert "\n" not in str(error.value)


def test_truncation_at_every_kind_of_offset_is_refused(tmp_path):
    folder = tiny_folder(tmp_path)
    data = (folder / MODEL_WEIGHTS).read_bytes()
    header = 8 + struct.unpack("<Q", data[:8])[0]
    cuts = sorted({0, 1, 4, 7, 8, 9, header // 2, header - 1, header, header + 1, (header + len(data)) // 2,
                   len(data) - 4, len(data) - 1})
    for cut in cuts:
        (folder / MODEL_WEIGHTS).write_bytes(data[:cut])
        with pytest.raises(ModelLoadError, match="empty|truncated|damaged|readable"):
            load_model(folder)
    assert len(cuts) == TRUNCATION_POINTS


def test_a_header_that_claims_exabytes_is_refused_without_allocating(tmp_path):
    path = tmp_path / "huge.safetensors"
    path.write_bytes(struct.pack("<Q", 2**62) + b'{"__metadata__":{}}')
    started = time.perf_counter()
    with pytest.raises(ModelLoadError):
        load_model(path)
    assert time.perf_counter() - started < 5


def test_tensor_offsets_that_point_outside_the_file_are_refused(tmp_path):
    header = json.dumps({"w": {"dtype": "F32", "shape": [1000, 1000], "data_offsets": [0, 4_000_000]},
                         "__metadata__": {"spec": tiny_spec().to_json()}}).encode()
    path = tmp_path / "liar.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 16)
    with pytest.raises(ModelLoadError):
        load_model(path)


def test_files_of_the_wrong_kind_are_refused(tmp_path):
    """Another program's safetensors, a model folder given to the resume path, a text file."""
    foreign = tmp_path / "sd-vae.safetensors"
    save_file({"first_stage_model.encoder.conv_in.weight": torch.zeros(4, 3, 3, 3)}, str(foreign),
              metadata={"format": "pt"})
    with pytest.raises(ModelLoadError, match="no cUNet Studio metadata"):
        load_model(foreign)

    folder = tiny_folder(tmp_path)
    network = tiny_spec().build_network()
    optimizer = torch.optim.AdamW(network.parameters())
    with pytest.raises(ModelLoadError, match="not a training checkpoint"):
        load_checkpoint(folder / MODEL_WEIGHTS, network, EMA(network, 0.9), optimizer)

    notes = tmp_path / "notes.safetensors"
    notes.write_text("these are my notes about safetensors\n" * 10)
    with pytest.raises(ModelLoadError, match="readable|damaged|truncated"):
        load_model(notes)

