"""`engine bench denoise` end to end with a tiny untrained model, without the bench extra."""

import json

import pytest

from conftest import HELD_OUT
from engine.cli.main import main
from helpers import save_tiny_model


def run_bench(photo_folder, *args: str) -> int:
    folder, split = photo_folder
    return main(["bench", "denoise", "--photos", str(folder), "--split", str(split), "--device", "cpu", *args])


def test_model_rows_and_sanity_check_without_the_bench_extra(photo_folder, tmp_path, capsys, without_bench_extra):
    model = save_tiny_model(tmp_path / "tiny", channels=3)
    out = tmp_path / "results"
    assert run_bench(photo_folder, "--model", str(model), "--methods", "noisy,model,model-auto,model-auto-x8",
                     "--sigmas", "15,50",
                     "--crop", "24", "--json", str(out / "r.json"), "--markdown", str(out / "r.md")) == 0
    data = json.loads((out / "r.json").read_text())
    assert data["settings"] == {"photos": HELD_OUT, "crop": 24, "seed": 0, "sigmas": [15.0, 50.0]}
    assert data["runs"][0]["model"]["strength"] == 0.0 and data["runs"][0]["threads"]["torch"] >= 1
    assert len(data["scores"]) == 2 * 2 * 4
    assert {s["megapixels"] for s in data["scores"]} == {24 * 24 / 1e6}
    assert all(s["ssim"] is None and s["seconds"] >= 0 and s["cpu_seconds"] >= 0 for s in data["scores"])
    assert [s["photo"] for s in data["sanity"]] == HELD_OUT
    table = (out / "r.md").read_text()
    assert "tiny (strength 0), true σ" in table and "tiny (strength 0), estimated σ" in table
    assert "tiny (strength 0), estimated σ, x8 self-ensemble" in table
    ensembled = {(s["photo"], s["sigma"]): s["psnr"] for s in data["scores"] if s["method"] == "model-auto-x8"}
    single = {(s["photo"], s["sigma"]): s["psnr"] for s in data["scores"] if s["method"] == "model-auto"}
    assert ensembled.keys() == single.keys() and ensembled != single
    assert capsys.readouterr().out == table


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
                     "--merge", str(first), "--json", str(second)) == 0
    data = json.loads(second.read_text())
    assert [r["methods"] for r in data["runs"]] == [["noisy"], ["model"]]
    assert "noisy input" in capsys.readouterr().out
    assert run_bench(photo_folder, "--methods", "noisy", "--sigmas", "25", "--crop", "20", "--merge", str(first)) == 2
    assert "crop differ (16 and 20)" in capsys.readouterr().err
