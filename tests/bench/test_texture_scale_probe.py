"""benchmarks/texture_scale_probe.py: the crops read as noisiest without the texture scale are the
textured ones, and each crop is measured clean and noisy at every setting of the scale."""

import json

import numpy as np
from bench.conftest import load_benchmark_script
from PIL import Image

script = load_benchmark_script("texture_scale_probe")


def test_textured_crops_are_chosen_and_measured_at_every_setting(tmp_path, monkeypatch, capsys):
    corpus, photos = tmp_path / "corpus", tmp_path / "photos"
    corpus.mkdir(), photos.mkdir()
    rng = np.random.default_rng(0)
    ramp = np.linspace(40, 200, 128)[None, :, None] * np.ones((128, 1, 3))
    texture = rng.uniform(-25, 25, (128, 128, 1)) * np.array([1.0, 0.8, 0.6])  # brightness texture
    Image.fromarray(np.clip(ramp + texture, 0, 255).astype(np.uint8)).save(corpus / "foliage.png")
    Image.fromarray(ramp.astype(np.uint8)).save(photos / "sky.png")
    monkeypatch.setattr(script, "CROP", 96)  # enough quiet blocks to measure the channels
    monkeypatch.setattr(script, "TEXTURED", 1)
    monkeypatch.setattr(script, "RANDOM", 1)
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
