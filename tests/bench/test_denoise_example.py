"""benchmarks/denoise_example.py's picture: captioned panels side by side, pixels kept."""

import numpy as np
from bench.conftest import load_benchmark_script

example = load_benchmark_script("denoise_example")


def test_panels_sit_side_by_side_under_their_captions():
    red = np.zeros((20, 30, 3), np.float32)
    red[..., 0] = 1
    grey = np.full((20, 30, 3), 0.5, np.float32)
    sheet = np.asarray(example.side_by_side([("red", red), ("grey", grey)]))
    gap, caption = example.GAP, example.CAPTION_HEIGHT
    assert sheet.shape == (20 + caption, 2 * 30 + gap, 3)
    assert (sheet[caption:, :30] == [255, 0, 0]).all()
    assert (sheet[caption:, 30 + gap :] == 128).all()
    assert (sheet[caption:, 30 : 30 + gap] == 255).all() and (sheet[:caption] < 255).any()  # gap white, text drawn
