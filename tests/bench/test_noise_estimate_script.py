"""benchmarks/noise_estimate.py: per held-out photo and noise condition, the true level and both
estimates."""

import json

import pytest
from bench.conftest import HELD_OUT, load_benchmark_script

script = load_benchmark_script("noise_estimate")


def test_one_row_per_held_out_photo_and_condition(tmp_path, photo_folder, capsys):
    folder, split = photo_folder
    out = tmp_path / "estimates.json"
    assert script.main(["--photos", str(folder), "--split", str(split), "--inputs", "gaussian-8bit,gaussian",
                        "--sigmas", "20", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["kinds"] == ["gaussian", "gaussian-8bit"] and data["sigmas"] == [20.0]
    rows = {(row["photo"], row["condition"]): row for row in data["rows"]}
    assert list(rows) == [(photo, condition) for photo in HELD_OUT
                          for condition in (script.CLEAN, "gaussian 0, jpeg 90", "gaussian 20", "gaussian 20, 8-bit")]
    for photo in HELD_OUT:
        clean, unclipped, stored = (rows[photo, c] for c in (script.CLEAN, "gaussian 20", "gaussian 20, 8-bit"))
        assert clean["true"] == rows[photo, "gaussian 0, jpeg 90"]["true"] == 0 and clean["finest scale"] < 10
        assert unclipped["true"] == stored["true"] == 20
        assert unclipped["finest scale"] == pytest.approx(20, rel=0.3)
        assert all(row["estimate"] >= 0 for row in (clean, unclipped, stored))
    assert capsys.readouterr().out.count("\n| ") == 1 + len(rows)


def test_camera_rows_carry_the_true_level_and_jpeg_estimates_allow_for_the_compression(tmp_path,
                                                                                        estimable_photo_folder):
    folder, split = estimable_photo_folder
    out = tmp_path / "estimates.json"
    assert script.main(["--photos", str(folder), "--split", str(split), "--inputs", "camera-png,camera-jpeg",
                        "--crop", "96", "--json", str(out)]) == 0
    rows = {(row["photo"], row["condition"]): row for row in json.loads(out.read_text())["rows"]}
    for photo in HELD_OUT:
        low, high = rows[photo, "camera low, png"], rows[photo, "camera high, png"]
        assert 0 < low["true"] < high["true"] and high["kind"] == "camera-png"
        jpegs = [rows[photo, f"camera {preset}, jpeg {quality}"] for preset in ("low", "high") for quality in (90, 75)]
        assert [row["true"] for row in jpegs] == [low["true"]] * 2 + [high["true"]] * 2
        assert all(row["estimate"] > row["finest scale"] for row in jpegs)  # JPEG removed the finest grain
