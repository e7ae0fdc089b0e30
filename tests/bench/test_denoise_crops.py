"""benchmarks/denoise_crops.py: a bench run's photo under its conditions and methods, as the run
ran them, in captioned rows of enlarged crops."""

import numpy as np
from PIL import Image

from bench.conftest import load_benchmark_script
from engine.cli.main import main
from helpers import save_tiny_model

crops = load_benchmark_script("denoise_crops")


def test_rows_of_enlarged_crops_from_a_bench_run(estimable_photo_folder, tmp_path, without_bench_extra):
    folder, split = estimable_photo_folder
    model = save_tiny_model(tmp_path / "tiny", channels=3)
    results = tmp_path / "r.json"
    assert main(["bench", "denoise", "--photos", str(folder), "--split", str(split), "--device", "cpu",
                 "--model", str(model), "--methods", "noisy,model-auto", "--inputs", "gaussian-8bit,camera-png",
                 "--sigmas", "25", "--tune-photos", "1", "--tune-crop", "32", "--json", str(results)]) == 0
    out = tmp_path / "crops.png"
    assert crops.main(["--results", str(results), "--photo", "b.png", "--photos", str(folder), "--model", str(model),
                       "--conditions", "gaussian 25, 8-bit,camera high, png", "--methods", "noisy,model-auto",
                       "--crop", "20", "--zoom", "2", "--out", str(out)]) == 0
    picture = np.asarray(Image.open(out))
    row_height = 2 * crops.CAPTION_HEIGHT + 40 + crops.GAP
    assert picture.shape == (2 * row_height, 3 * 40 + 2 * crops.GAP, 3)
    first_clean = picture[2 * crops.CAPTION_HEIGHT : 2 * crops.CAPTION_HEIGHT + 40, 2 * (40 + crops.GAP):]
    assert np.array_equal(first_clean[::2, ::2], first_clean[1::2, 1::2])  # nearest-neighbour, 2x
