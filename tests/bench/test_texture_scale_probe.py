"""benchmarks/texture_scale_probe.py: the crops read as noisiest without the texture scale are the
textured ones, and each crop is measured clean and noisy at every setting of the scale."""

import json

import numpy as np
from bench.conftest import load_benchmark_script
from PIL import Image

script = load_benchmark_script("texture_scale_probe")


def probe_folders(tmp_path, monkeypatch, size: int = 128, crop: int = 96):
    """A corpus of one textured photo and a photo folder of one smooth one, `size` pixels square,
    and a probe of `crop`-pixel crops: enough quiet blocks to compare the channels (a JPEG's are
    compared one scale coarser, so it needs larger crops)."""
    corpus, photos = tmp_path / "corpus", tmp_path / "photos"
    corpus.mkdir(), photos.mkdir()
    rng = np.random.default_rng(0)
    ramp = np.linspace(40, 200, size)[None, :, None] * np.ones((size, 1, 3))
    texture = rng.uniform(-25, 25, (size, size, 1)) * np.array([1.0, 0.8, 0.6])  # brightness texture
    Image.fromarray(np.clip(ramp + texture, 0, 255).astype(np.uint8)).save(corpus / "foliage.png")
    Image.fromarray(ramp.astype(np.uint8)).save(photos / "sky.png")
    monkeypatch.setattr(script, "CROP", crop)
    monkeypatch.setattr(script, "TEXTURED", 1)
    monkeypatch.setattr(script, "RANDOM", 1)
    return corpus, photos


def test_textured_crops_are_chosen_and_measured_at_every_setting(tmp_path, monkeypatch, capsys):
    corpus, photos = probe_folders(tmp_path, monkeypatch)
    out = tmp_path / "probe.json"
    assert script.main(["--corpus", str(corpus), "--photos", str(photos), "--independence", "0,0.7",
                        "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    textured = {r["crop"] for r in rows if r["textured"]}
    assert len(textured) == 1 and next(iter(textured)).startswith("corpus/foliage.png@")
    assert len({r["crop"] for r in rows}) == 2
    assert len(rows) == 2 * len(script.CONDITIONS) * 2
    clean = {r["independence"]: r for r in rows if r["crop"] in textured and r["condition"] == "clean"}
    assert clean[0.7]["sigma"] < 0.5 * clean[0.0]["sigma"]  # the texture is not read as noise
    assert "textured (1) | clean" in capsys.readouterr().out


def test_with_jpeg_the_crops_are_stored_as_jpegs_and_read_as_such(tmp_path, monkeypatch, capsys):
    corpus, photos = probe_folders(tmp_path, monkeypatch, size=192, crop=160)
    out = tmp_path / "probe.json"
    assert script.main(["--corpus", str(corpus), "--photos", str(photos), "--independence", "0,0.15", "--jpeg",
                        "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["jpeg"] and len(data["rows"]) == 2 * len(script.JPEG_CONDITIONS) * 2
    clean = {r["independence"]: r for r in data["rows"] if r["textured"] and r["condition"] == "clean, jpeg 90"}
    assert clean[0.15]["sigma"] < 0.5 * clean[0.0]["sigma"]  # the texture is not read as noise in a JPEG either
    assert "textured (1) | clean, jpeg 90" in capsys.readouterr().out
