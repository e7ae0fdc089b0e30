"""numpy helpers behind the views (pure Python)."""

from __future__ import annotations

import numpy as np

from app.common.pixels import difference_image


def test_difference_is_amplified_and_clipped():
    before = np.full((2, 2, 3), 100, np.uint8)
    after = before.copy()
    after[0, 0] = (110, 90, 200)
    diff = difference_image(before, after, gain=4)
    assert diff[0, 0].tolist() == [40, 40, 255] and diff[1, 1].tolist() == [0, 0, 0]
