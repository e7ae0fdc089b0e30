"""benchmarks/denoise_tiling.py: one row per sigma and tiling, scored on training photos only."""

import json

import numpy as np
from bench.conftest import HELD_OUT, TRAINING, load_benchmark_script
from denoise.conftest import tiny_model_folder  # noqa: F401  (fixture)

tiling = load_benchmark_script("denoise_tiling")


def test_rows_per_sigma_and_tiling_from_training_photos_only(tmp_path, photo_folder, tiny_model_folder, capsys):
    folder, split = photo_folder
    out = tmp_path / "tiling.json"
    argv = ["--model", str(tiny_model_folder), "--photos", str(folder), "--split", str(split),
            "--configs", "32/8,16/4", "--sigmas", "15,50", "--crop", "24", "--json", str(out)]
    assert tiling.main(argv) == 0
    report = json.loads(out.read_text())
    assert sorted(report["photos"]) == sorted(TRAINING) and not set(report["photos"]) & set(HELD_OUT)
    assert [(r["sigma"], r["tile"], r["overlap"]) for r in report["rows"]] == [
        (15, 32, 8), (15, 16, 4), (50, 32, 8), (50, 16, 4)]
    assert all(np.isfinite(r["psnr"]) and r["cpu_seconds_per_megapixel"] > 0 for r in report["rows"])
    assert capsys.readouterr().out.count("\n| ") == 4 + 1  # header separator and one line per row
