"""`engine bench denoise` end to end with a tiny untrained model, without the bench extra."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import HELD_OUT
from engine.bench import denoise_methods
from engine.bench.noise_conditions import NoisyPhoto
from engine.cli.main import main
from engine.denoise import DenoiseSettings
from helpers import save_tiny_model


def run_bench(photo_folder, *args: str) -> int:
    folder, split = photo_folder
    return main(["bench", "denoise", "--photos", str(folder), "--split", str(split), "--device", "cpu", *args])


def test_model_rows_and_sanity_check_without_the_bench_extra(estimable_photo_folder, tmp_path, capsys,
                                                            without_bench_extra):
    model = save_tiny_model(tmp_path / "tiny", channels=3)
    out = tmp_path / "results"
    assert run_bench(estimable_photo_folder, "--model", str(model), "--methods",
                     "noisy,model,model-auto,model-auto-x8", "--sigmas", "15,50",
                     "--json", str(out / "r.json"), "--markdown", str(out / "r.md")) == 0
    data = json.loads((out / "r.json").read_text())
    assert data["settings"] == {"photos": HELD_OUT, "crop": None, "seed": 0, "kinds": ["gaussian"],
                                "sigmas": [15.0, 50.0], "conditions": ["gaussian 15", "gaussian 50"]}
    assert data["runs"][0]["model"]["strength"] == 0.0 and data["runs"][0]["threads"]["torch"] >= 1
    assert len(data["scores"]) == 2 * 2 * 4
    assert {s["megapixels"] for s in data["scores"]} == {96 * 128 / 1e6}
    assert all(s["ssim"] is None and s["seconds"] >= 0 and s["cpu_seconds"] >= 0 for s in data["scores"])
    assert [s["photo"] for s in data["sanity"]] == HELD_OUT
    table = (out / "r.md").read_text()
    assert "tiny (strength 0), true σ" in table and "tiny (strength 0), estimated σ" in table
    assert "tiny (strength 0), estimated σ, x8 self-ensemble" in table
    ensembled = {(s["photo"], s["condition"]): s["psnr"] for s in data["scores"] if s["method"] == "model-auto-x8"}
    single = {(s["photo"], s["condition"]): s["psnr"] for s in data["scores"] if s["method"] == "model-auto"}
    assert ensembled.keys() == single.keys() and ensembled != single
    assert capsys.readouterr().out == table


def test_input_kinds_give_their_conditions_and_a_table_each(photo_folder, tmp_path, capsys):
    assert run_bench(photo_folder, "--methods", "noisy", "--inputs", "camera-jpeg,gaussian-8bit,gaussian-jpeg",
                     "--sigmas", "15", "--crop", "16", "--json", str(tmp_path / "r.json")) == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["settings"]["kinds"] == ["gaussian-8bit", "gaussian-jpeg", "camera-jpeg"]
    conditions = ["gaussian 15, 8-bit", "gaussian 25, jpeg 90", "camera low, jpeg 90", "camera low, jpeg 75",
                  "camera high, jpeg 90", "camera high, jpeg 75"]
    assert data["settings"]["conditions"] == conditions
    assert [(s["photo"], s["condition"]) for s in data["scores"]] == [(p, c) for p in HELD_OUT for c in conditions]
    assert [row["kind"] for row in data["summary"]] == ["gaussian-8bit", "gaussian-jpeg"] + ["camera-jpeg"] * 4
    out = capsys.readouterr().out
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("**")] == [
        "**gaussian-8bit**", "**gaussian-jpeg**", "**camera-jpeg**"]


def test_model_methods_are_told_the_true_level_or_whether_the_photo_was_a_lossy_jpeg(monkeypatch):
    calls = []

    def fake_denoise_photo(model, photo, settings):
        calls.append((photo.lossy_jpeg, photo.format, settings.sigma, settings.ensemble))
        return SimpleNamespace(photo=photo)

    monkeypatch.setattr(denoise_methods, "denoise_photo", fake_denoise_photo)
    methods = denoise_methods.model_methods(SimpleNamespace(name="fake"), DenoiseSettings())
    pixels = np.zeros((4, 4, 3), np.float32)
    for method in methods:
        method.run(NoisyPhoto(pixels, True, np.full_like(pixels, 9.0)), 9.5, None)
    assert calls == [(True, "JPEG", 9.5, 1), (True, "JPEG", None, 1), (True, "JPEG", None, 8)]
    assert not any(method.takes_sigma for method in methods)


def test_max_photos_and_crop_shrink_the_run(photo_folder, tmp_path):
    assert run_bench(photo_folder, "--methods", "noisy", "--max-photos", "1", "--sigmas", "25", "--crop", "16",
                     "--json", str(tmp_path / "r.json")) == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert [s["photo"] for s in data["scores"]] == HELD_OUT[:1] and data["sanity"] == []


@pytest.mark.parametrize(
    "args,message",
    [
        (["--methods", "nlm"], "pip install -e .[bench]"),
        (["--methods", "bm3d"], "pip install -e .[bench]"),
        (["--methods", "noisy,median"], "unknown method 'median'"),
        (["--sigmas", "15,x"], "--sigmas must be numbers"),
        (["--sigmas", "0"], "> 0"),
        (["--inputs", "gaussian,raw"], "unknown input kind 'raw'"),
        (["--crop", "8"], "--crop must be at least 16"),
        (["--methods", "model", "--model", "no-such-model"], "no model named"),
    ],
)
def test_errors_are_one_line(photo_folder, capsys, without_bench_extra, args, message):
    assert run_bench(photo_folder, "--sigmas", "25", "--crop", "16", *args) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and message in err


def test_merge_adds_a_later_run_to_saved_results(photo_folder, tmp_path, capsys):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert run_bench(photo_folder, "--methods", "noisy", "--sigmas", "25", "--crop", "16", "--json", str(first)) == 0
    capsys.readouterr()
    model = save_tiny_model(tmp_path / "tiny", channels=3)
    assert run_bench(photo_folder, "--model", str(model), "--methods", "model", "--sigmas", "25", "--crop", "16",
                     "--inputs", "camera-png", "--merge", str(first), "--json", str(second)) == 0
    data = json.loads(second.read_text())
    assert [r["methods"] for r in data["runs"]] == [["noisy"], ["model"]]
    assert data["settings"]["conditions"] == ["gaussian 25", "camera low, png", "camera high, png"]
    assert "noisy input" in capsys.readouterr().out
    assert run_bench(photo_folder, "--methods", "noisy", "--sigmas", "25", "--crop", "20", "--merge", str(first)) == 2
    assert "crop differ (16 and 20)" in capsys.readouterr().err
