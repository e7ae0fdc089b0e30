"""The wavelet noise estimator: accurate on synthetic Gaussian noise, near zero on clean images,
not fooled by fine texture."""

import numpy as np
import pytest

from engine.denoise import combined_sigma, estimate_noise_sigma


def smooth_image(height=256, width=320):
    """Three smooth, different channels in about [0.15, 0.85]."""
    v, u = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = [
        0.5 + 0.25 * np.sin(2 * np.pi * u / 97) * np.cos(2 * np.pi * v / 61),
        0.3 + 0.4 * u / width + 0.1 * np.sin(2 * np.pi * v / 150),
        0.5 + 0.3 * np.cos(2 * np.pi * (u + v) / 211),
    ]
    return np.stack(channels, axis=2)


@pytest.mark.parametrize("sigma", [10, 25, 50])
def test_estimates_synthetic_gaussian_noise_within_15_percent(sigma):
    clean = smooth_image()
    noisy = clean + np.random.default_rng(0).normal(0, sigma / 255, clean.shape).astype(np.float32)
    estimates = estimate_noise_sigma(noisy)
    assert len(estimates) == 3
    assert estimates == pytest.approx([sigma] * 3, rel=0.15)


def test_clean_smooth_image_has_almost_no_noise():
    quantized = np.round(smooth_image() * 255) / 255
    assert max(estimate_noise_sigma(quantized)) < 2


def test_fine_texture_over_most_of_the_image_is_not_counted_as_noise():
    """A diagonal grating fills the finest diagonal band over 3/4 of the image: a median over all
    blocks measured it as noise (95 here); the quiet blocks are the flat quarter."""
    v, u = np.mgrid[0:256, 0:256].astype(np.float32)
    image = np.where(u < 192, 0.5 + 0.3 * np.sin(2 * np.pi * (u + v) / 2.7), 0.5)
    noisy = image + np.random.default_rng(2).normal(0, 3 / 255, image.shape)
    assert estimate_noise_sigma(noisy) == [pytest.approx(3, rel=0.2)]


@pytest.mark.parametrize("sigma", [10, 25, 50])
def test_noise_clipped_by_the_file_format_is_not_underestimated(sigma):
    """A quarter blown-out highlight, a quarter crushed shadow, stored as 8 bits: the clipped
    areas are the quietest of the photo (they measured 8 at sigma 25 when counted)."""
    image = smooth_image()
    image[:128, :160] = 1.0
    image[128:, 160:] = 0.0
    noisy = image + np.random.default_rng(3).normal(0, sigma / 255, image.shape).astype(np.float32)
    stored = np.round(np.clip(noisy, 0, 1) * 255) / 255
    assert estimate_noise_sigma(stored) == pytest.approx([sigma] * 3, rel=0.15)


def test_an_entirely_clipped_photo_measures_zero_instead_of_failing():
    """No block is a candidate: all of them count again (an empty selection has no median)."""
    assert estimate_noise_sigma(np.ones((64, 64, 1), np.float32)) == [0.0]


def test_grey_2d_input_and_tiny_images():
    noisy = smooth_image()[:, :, 0] + np.random.default_rng(1).normal(0, 20 / 255, (256, 320))
    assert estimate_noise_sigma(noisy) == [pytest.approx(20, rel=0.15)]
    assert estimate_noise_sigma(np.zeros((1, 5, 3))) == [0.0, 0.0, 0.0]


def test_combined_sigma_is_the_rms():
    assert combined_sigma([3.0, 4.0]) == pytest.approx(np.sqrt(12.5))
    assert combined_sigma([7.0]) == 7.0
