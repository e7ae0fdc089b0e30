"""Tile layout and blending: weights sum to 1 everywhere, and tiling an identity reproduces the input."""

import numpy as np
import pytest

from engine.denoise.tiling import axis_windows, blend_into, fitted_tile_size, plan_tiles, tile_starts
from engine.errors import ConfigError


def layouts():
    rng = np.random.default_rng(0)
    fixed = [(10, 7, 64, 32), (64, 64, 64, 16), (100, 37, 32, 8), (65, 200, 48, 24), (129, 130, 16, 0), (1, 1, 16, 8)]
    drawn = []
    for _ in range(30):
        tile = int(rng.integers(16, 100))
        drawn.append((int(rng.integers(1, 300)), int(rng.integers(1, 300)), tile, int(rng.integers(0, tile // 2 + 1))))
    return fixed + drawn


@pytest.mark.parametrize(("height", "width", "tile", "overlap"), layouts())
def test_identity_through_tiles_reproduces_the_input(height, width, tile, overlap):
    image = np.random.default_rng(height * width).random((height, width, 3), dtype=np.float32)
    tiles = plan_tiles(height, width, tile, overlap)
    weight_sum = np.zeros((height, width, 1), np.float32)
    rebuilt = np.zeros_like(image)
    for t in tiles:
        assert (t.height, t.width) == (min(tile, height), min(tile, width))  # one size: batchable
        assert np.all(t.weights() > 0)
        blend_into(weight_sum, t, np.ones((t.height, t.width, 1), np.float32))
        blend_into(rebuilt, t, image[t.region])
    np.testing.assert_allclose(weight_sum, 1, atol=1e-6)
    np.testing.assert_allclose(rebuilt, image, atol=1e-6)


@pytest.mark.parametrize(("length", "tile", "overlap"), [(1000, 64, 16), (700, 64, 32), (257, 256, 32), (50, 16, 8)])
def test_neighbours_share_at_least_the_overlap_and_cover_the_axis(length, tile, overlap):
    starts = tile_starts(length, tile, overlap)
    assert starts[0] == 0 and starts[-1] + tile == length
    assert all(tile - (b - a) >= overlap for a, b in zip(starts, starts[1:]))
    assert len(starts) == int(np.ceil((length - overlap) / (tile - overlap)))  # no more tiles than needed


def test_windows_are_smooth_ramps_inside_and_flat_at_the_border():
    (start_a, a), (start_b, b) = axis_windows(96, 64, 32)
    assert (start_a, start_b) == (0, 32)
    assert a[0] == 1 and b[-1] == 1  # the photo's own border is not faded
    assert np.max(np.abs(np.diff(a))) < 0.1 and np.max(np.abs(np.diff(b))) < 0.1


def test_single_tile_when_the_image_fits():
    (tile,) = plan_tiles(40, 30, 64, 32)
    assert (tile.top, tile.left, tile.height, tile.width) == (0, 0, 40, 30)
    assert np.all(tile.weights() == 1)


@pytest.mark.parametrize(("tile", "overlap"), [(64, 33), (64, -1), (0, 0)])
def test_bad_layouts_are_refused(tile, overlap):
    with pytest.raises(ConfigError):
        plan_tiles(100, 100, tile, overlap)


@pytest.mark.parametrize(("height", "width", "tile", "overlap"), layouts())
def test_fitted_tiles_are_as_many_no_larger_and_still_blend_to_the_input(height, width, tile, overlap):
    image = np.random.default_rng(height + width).random((height, width, 3), dtype=np.float32)
    fitted, plain = plan_tiles(height, width, tile, overlap, fit_multiple=8), plan_tiles(height, width, tile, overlap)
    assert len(fitted) == len(plain)
    assert len({(t.height, t.width) for t in fitted}) == 1 and fitted[0].height <= plain[0].height
    rebuilt = np.zeros_like(image)
    for t in fitted:
        blend_into(rebuilt, t, image[t.region])
    np.testing.assert_allclose(rebuilt, image, atol=1e-6)


def test_a_fitted_tile_is_the_smallest_multiple_that_covers_with_as_many_tiles():
    assert fitted_tile_size(1024, 512, 32, 16) == 368  # three tiles, as with 512, at 1,104 px of work instead of 1,536
    assert fitted_tile_size(4000, 512, 32, 16) == 480 and fitted_tile_size(3000, 512, 32, 16) == 464
    assert fitted_tile_size(500, 512, 32, 16) == 512  # one tile, which the layout cuts to the whole side
    assert fitted_tile_size(992, 512, 32, 16) == 512  # two 512 px tiles are already the fewest and smallest
    assert fitted_tile_size(65, 64, 32, 8) == 64  # never less than twice the overlap
