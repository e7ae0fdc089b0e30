"""benchmarks/denoise_in_app.py end to end on a small photo and a tiny model: the noisy JPEG is made,
the app's Denoise page (in a child process) denoises and saves it, and the numbers come back."""

import json

import numpy as np
import pytest
from bench.conftest import load_benchmark_script
from helpers import save_tiny_model
from PIL import Image

in_app = load_benchmark_script("denoise_in_app")


def test_a_photo_goes_through_the_denoise_page_and_its_time_memory_and_psnr_are_written(tmp_path):
    photo = tmp_path / "scene.png"
    ramp = np.linspace(0, 255, 90)[None, :, None] * np.ones((60, 1, 3))
    Image.fromarray(ramp.astype(np.uint8)).save(photo)
    model = save_tiny_model(tmp_path / "tiny-denoiser", channels=3)
    out = tmp_path / "out"
    in_app.main(["--photo", str(photo), "--megapixels", "0.012", "--model", str(model), "--out", str(out),
                 "--timeout", "120"])
    result = json.loads((out / "result.json").read_text())
    assert result["model"] == "tiny-denoiser" and result["size"] == [126, 94]
    assert result["seconds"] > 0 and result["peak_mib"] > 50  # the whole app: Qt and torch at least
    denoised = Image.open(result["saved"])
    assert denoised.size == (126, 94) and result["saved"].startswith(str(out))
    assert Image.open(out / "noisy.jpg").format == "JPEG" and Image.open(out / "crop.png").size == (3 * 94, 94)
    assert result["psnr_noisy"] < 40 and np.isfinite(result["psnr_denoised"])


def test_a_folder_with_files_is_refused_before_any_work(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(SystemExit, match="is not empty"):
        in_app.main(["--photo", str(tmp_path / "none.png"), "--out", str(tmp_path / "out")])
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def test_a_photo_that_cannot_be_read_is_one_line_and_makes_no_folder(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"not a picture")
    for photo in (tmp_path / "none.png", tmp_path / "broken.jpg"):
        with pytest.raises(SystemExit, match=f"cannot read {photo}"):
            in_app.main(["--photo", str(photo), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()
