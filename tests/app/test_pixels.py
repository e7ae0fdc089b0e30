"""numpy helpers behind the views (pure Python)."""

from __future__ import annotations

import numpy as np

from app.pixels import difference_image, upscale_nearest


def test_difference_is_amplified_and_clipped():
    before = np.full((2, 2, 3), 100, np.uint8)
    after = before.copy()
    after[0, 0] = (110, 90, 200)
    diff = difference_image(before, after, gain=4)
    assert diff[0, 0].tolist() == [40, 40, 255] and diff[1, 1].tolist() == [0, 0, 0]


def test_upscale_repeats_whole_pixels():
    image = np.arange(4, dtype=np.uint8).reshape(2, 2, 1)
    big = upscale_nearest(image, 5)
    assert big.shape == (6, 6, 1) and (big[:3, :3] == 0).all() and (big[3:, 3:] == 3).all()
