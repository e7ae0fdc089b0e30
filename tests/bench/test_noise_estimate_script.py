"""benchmarks/noise_estimate.py: estimates per held-out photo, unclipped and stored as 8 bits."""

import json

import numpy as np
import pytest
from bench.conftest import HELD_OUT, load_benchmark_script

script = load_benchmark_script("noise_estimate")


def test_stored_8bit_clips_and_rounds():
    stored = script.stored_8bit(np.array([-0.2, 0.5001, 1.3], np.float32))
    assert stored.tolist() == pytest.approx([0.0, 128 / 255, 1.0])


def test_one_row_per_held_out_photo(tmp_path, photo_folder, capsys):
    folder, split = photo_folder
    out = tmp_path / "estimates.json"
    assert script.main(["--photos", str(folder), "--split", str(split), "--sigmas", "20", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [row["photo"] for row in rows] == HELD_OUT
    assert all(row["unclipped 20"] == pytest.approx(20, rel=0.3) and row["clean"] < 10 for row in rows)
    assert capsys.readouterr().out.count("\n| ") == 1 + len(HELD_OUT)
