"""engine.imaging: whole-pixel enlarging and labelled sheets for what is saved for people to see."""

from __future__ import annotations

import numpy as np

from engine.imaging import grid, upscale_nearest, with_labels


def test_upscale_repeats_whole_pixels():
    image = np.arange(4, dtype=np.uint8).reshape(2, 2, 1)
    big = upscale_nearest(image, 5)
    assert big.shape == (6, 6, 1) and (big[:3, :3] == 0).all() and (big[3:, 3:] == 3).all()


def test_upscale_to_a_width_and_never_down():
    wide = np.zeros((10, 100, 3), np.uint8)
    assert upscale_nearest(wide, min_width=512).shape == (60, 600, 3)  # 6x: the first factor reaching 512
    assert upscale_nearest(wide, min_side=20, min_width=150).shape == (20, 200, 3)  # the larger factor wins
    assert upscale_nearest(wide, min_width=50).shape == wide.shape


def test_labels_sit_in_a_white_margin_beside_and_above_the_sheet():
    sheet = upscale_nearest(grid(np.full((6, 8, 8, 1), 128, np.uint8), columns=2), min_width=200)
    labelled = with_labels(sheet, ["step 1", "step 2", "result"], ["x_t", "x0"])
    top, left = labelled.shape[0] - sheet.shape[0], labelled.shape[1] - sheet.shape[1]
    assert top > 0 and left > 0 and labelled.shape[2] == 1
    assert np.array_equal(labelled[top:, left:], sheet), "the sheet itself is not drawn on"
    for band in np.array_split(labelled[top:, :left], 3):  # one label per row band
        assert band.min() < 100
    for band in np.array_split(labelled[:top, left:], 2, axis=1):  # one heading per column band
        assert band.min() < 100
    colour = with_labels(np.zeros((40, 40, 3), np.uint8), ["a"], [])
    assert colour.shape[2] == 3 and colour.shape[0] == 40
