"""Tests for resize / crop / flip: shapes, ranges, determinism by generator, native-resolution crops."""

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data.geometry import MIN_SHRUNK_SIDE, crop_to_tensor, prepare_pixels


def noise_pixels(height, width, channels=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)


def seeded(seed):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("channels", [1, 3])
def test_prepare_resizes_short_side_and_keeps_aspect(channels):
    pixels = prepare_pixels(Image.fromarray(noise_pixels(30, 60)), channels, 10, resize_short_side=True)
    assert pixels.shape == (10, 20, channels) and pixels.dtype == np.uint8


def test_native_resolution_keeps_big_images_and_upscales_small_ones():
    big = noise_pixels(40, 50)
    assert np.array_equal(prepare_pixels(Image.fromarray(big), 3, 16, resize_short_side=False), big)
    assert prepare_pixels(Image.fromarray(noise_pixels(8, 12)), 3, 16, resize_short_side=False).shape == (16, 24, 3)


def test_native_crop_is_a_window_of_the_original():
    big = noise_pixels(40, 50)
    crop = crop_to_tensor(big, 16, seeded(3), hflip=False)
    window = np.rint((crop.permute(1, 2, 0).numpy() + 1) * 127.5).astype(np.uint8)
    matches = [
        (top, left)
        for top in range(40 - 15)
        for left in range(50 - 15)
        if np.array_equal(big[top : top + 16, left : left + 16], window)
    ]
    assert len(matches) == 1


def test_same_seed_same_tensor_and_seeds_vary_the_crop():
    pixels = noise_pixels(24, 40)
    first = crop_to_tensor(pixels, 16, seeded(7), hflip=True)
    assert torch.equal(first, crop_to_tensor(pixels, 16, seeded(7), hflip=True))
    assert any(not torch.equal(first, crop_to_tensor(pixels, 16, seeded(s), hflip=True)) for s in range(8))


def test_no_generator_means_centre_crop_without_flip():
    pixels = noise_pixels(20, 30, channels=1)
    tensor = crop_to_tensor(pixels, 10, None, hflip=True)
    expected = torch.from_numpy(pixels[5:15, 10:20]).permute(2, 0, 1).float() / 127.5 - 1
    assert torch.equal(tensor, expected)


def test_flip_happens_only_when_enabled():
    pixels = noise_pixels(8, 8)
    plain = crop_to_tensor(pixels, 8, None, hflip=True)
    flipped_seen = {torch.equal(crop_to_tensor(pixels, 8, seeded(s), hflip=True), plain.flip(-1)) for s in range(16)}
    assert flipped_seen == {True, False}
    assert all(torch.equal(crop_to_tensor(pixels, 8, seeded(s), hflip=False), plain) for s in range(16))


@pytest.mark.parametrize("channels", [1, 3])
def test_range_is_minus_one_to_one(channels):
    pixels = np.zeros((4, 4, channels), dtype=np.uint8)
    pixels[0, 0] = 255
    tensor = crop_to_tensor(pixels, 4, None, hflip=False)
    assert tensor.shape == (channels, 4, 4) and tensor.dtype == torch.float32
    assert tensor.min() == -1 and tensor.max() == 1


def test_downscaled_crops_shrink_large_photos_but_not_small_ones():
    stripes = np.zeros((2000, 2000, 1), np.uint8)
    stripes[:, ::2] = 255  # one-pixel stripes: any shrinking averages them towards grey
    shrunk = [crop_to_tensor(stripes, 32, torch.Generator().manual_seed(seed), False, max_downscale=4)
              for seed in range(8)]
    assert all(c.shape == (1, 32, 32) for c in shrunk)
    assert any(float(c.std()) < 0.5 for c in shrunk)  # some were shrunk
    small = stripes[:MIN_SHRUNK_SIDE, :MIN_SHRUNK_SIDE]
    native = [crop_to_tensor(small, 32, torch.Generator().manual_seed(seed), False, max_downscale=4) for seed in range(8)]
    assert all(float(c.abs().min()) == 1.0 for c in native)  # never shrunk: still pure black and white
    assert torch.equal(crop_to_tensor(stripes, 32, None, False, max_downscale=4),
                       crop_to_tensor(stripes, 32, None, False))  # the validation view is never scaled
