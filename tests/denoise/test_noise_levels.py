"""The noise-level function: white noise reads its sigma, camera noise (spread over neighbours by
demosaicing) and JPEG-compressed noise read near their level before storage, where the finest-scale
estimate reads far less, and the map follows brightness."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from engine.denoise import combined_sigma, estimate_noise_levels, estimate_noise_sigma, read_photo
from engine.denoise.jpeg_compression import is_lossy_jpeg, jpeg_quality
from engine.noise import CameraNoise, add_camera_noise, jpeg_round_trip, to_8bit


def smooth_photo(size: int = 256, seed: int = 0) -> np.ndarray:
    """(size, size, 3) in [0.1, 0.9]: gentle colour ramps and a few soft blobs, no fine texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    channels = []
    for c in range(3):
        blobs = sum(np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 0.02) for cx, cy in rng.random((3, 2)))
        channels.append(0.15 + 0.5 * (0.6 * x + 0.4 * y) * (c + 1) / 3 + 0.2 * blobs / 3)
    return np.clip(np.stack(channels, axis=2), 0.1, 0.9).astype(np.float32)


def as_tensor(pixels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(pixels).permute(2, 0, 1).to(torch.float64)


def as_pixels(tensor: torch.Tensor) -> np.ndarray:
    return tensor.permute(1, 2, 0).numpy().astype(np.float32)


@pytest.mark.parametrize("sigma", [5.0, 25.0, 50.0])
def test_white_noise_reads_its_sigma(sigma):
    clean = smooth_photo()
    noisy = clean + np.random.default_rng(1).normal(0, sigma / 255, clean.shape).astype(np.float32)
    levels = estimate_noise_levels(noisy)
    assert levels.overall == pytest.approx(sigma, rel=0.12)
    assert levels.per_channel == pytest.approx([sigma] * 3, rel=0.15)


def test_camera_noise_reads_near_its_true_level_where_the_finest_scale_reads_far_less():
    clean = as_tensor(smooth_photo())
    sensor = CameraNoise.with_typical_read_noise(1e-2)
    noisy = as_pixels(to_8bit(add_camera_noise(clean, sensor, torch.Generator().manual_seed(2))))
    truth = float(sensor.std_map(clean).square().mean().sqrt()) * 255
    assert estimate_noise_levels(noisy).overall == pytest.approx(truth, rel=0.3)
    assert combined_sigma(estimate_noise_sigma(noisy)) < 0.6 * truth


def test_a_lossy_jpeg_is_scaled_back_to_the_level_it_had_before_compression():
    clean = as_tensor(smooth_photo())
    noisy = to_8bit(clean + 25 / 255 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(3),
                                                    dtype=torch.float64))
    stored = as_pixels(jpeg_round_trip(noisy, 90))
    as_pixels_only = estimate_noise_levels(stored).overall
    assert as_pixels_only < 22  # JPEG removed part of the noise
    assert estimate_noise_levels(stored, from_jpeg=True).overall == pytest.approx(25, rel=0.15)


def test_map_follows_brightness_for_signal_dependent_noise():
    ramp = np.linspace(0.1, 0.9, 256, dtype=np.float32)[None, :, None]
    clean = np.broadcast_to(ramp, (256, 256, 3)).copy()
    brightness = clean.mean(axis=2, keepdims=True)
    rng = np.random.default_rng(4)
    noisy = clean + rng.normal(0, 1, clean.shape).astype(np.float32) * (2 + 40 * (1 - brightness)) / 255
    levels = estimate_noise_levels(noisy)
    assert np.all(np.diff(levels.sigmas[1][np.isfinite(levels.readings[1]).all(axis=1)]) < 2)  # falls with brightness
    pixel_map = levels.per_pixel(noisy)
    assert pixel_map.shape == noisy.shape
    dark, bright = brightness[:, :, 0] < 0.3, brightness[:, :, 0] > 0.6
    assert pixel_map[dark].mean() > 1.5 * pixel_map[bright].mean()


def test_flat_and_tiny_images_read_zero():
    assert estimate_noise_levels(np.full((64, 64, 3), 0.5, np.float32)).overall == 0
    assert estimate_noise_levels(np.zeros((3, 5, 1), np.float32)).overall == 0
    for shape in ((1, 1, 3), (3, 5, 3), (1, 4000, 3)):  # too small for the channels' covariance too
        assert estimate_noise_levels(np.full(shape, 0.5, np.float32)).texture_scale == 1


def jpeg_file(quality: int, subsampling: int) -> Image.Image:
    buffer = io.BytesIO()
    Image.fromarray((smooth_photo(64) * 255).astype(np.uint8)).save(buffer, "JPEG", quality=quality,
                                                                      subsampling=subsampling)
    buffer.seek(0)
    return Image.open(buffer)


@pytest.mark.parametrize("quality", [10, 30, 50, 75, 84, 85, 90, 95, 98, 100])
def test_jpeg_quality_is_read_from_the_quantisation_tables(quality):
    assert jpeg_quality(jpeg_file(quality, 0)) == quality


def test_lossy_jpeg_means_quality_95_or_less_or_subsampled_colour(tmp_path):
    assert is_lossy_jpeg(jpeg_file(90, 0)) and is_lossy_jpeg(jpeg_file(98, 2))
    assert not is_lossy_jpeg(jpeg_file(98, 0))
    png = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(png)
    assert jpeg_quality(Image.open(png)) is None
    jpeg = tmp_path / "a.jpg"
    jpeg_file(80, 2).save(jpeg, quality=80)
    assert read_photo(jpeg).lossy_jpeg and not read_photo(png).lossy_jpeg


def test_a_band_of_texture_does_not_read_as_noise_beyond_twice_the_whole_photo(monkeypatch):
    """Pixel-fine texture fills the middle brightness band; the rest is a ramp with light noise:
    the band has no quiet blocks, and without the cap it reads the texture as noise."""
    rng = np.random.default_rng(5)
    ramp = np.linspace(0.05, 0.95, 256, dtype=np.float32)[None, :, None].repeat(256, axis=0).repeat(3, axis=2)
    middle = (ramp[:, :, 0] > 0.3) & (ramp[:, :, 0] < 0.7)  # covers the bands 0.375-0.5 and 0.5-0.625
    texture = rng.uniform(-0.06, 0.06, (256, 256, 3)).astype(np.float32)  # colour texture: the channels share none
    textured = (ramp + np.where(middle[:, :, None], texture, 0)
                + rng.normal(0, 2 / 255, ramp.shape)).astype(np.float32)
    capped = estimate_noise_levels(textured)
    monkeypatch.setattr("engine.denoise.noise_levels.MAX_BAND_TO_WHOLE", 1000.0)
    uncapped = estimate_noise_levels(textured)
    assert uncapped.sigmas.max() > 10  # the striped band, read as noise
    assert capped.sigmas.max() < 0.5 * uncapped.sigmas.max() and capped.overall < 5


def brightness_texture(size: int = 256, seed: int = 6) -> np.ndarray:
    """Pixel-fine texture of brightness, (size, size, 3): one pattern, a different gain per channel,
    as foliage or gravel has."""
    pattern = np.random.default_rng(seed).uniform(-0.06, 0.06, (size, size, 1))
    return (pattern * np.array([1.0, 0.8, 0.6])).astype(np.float32)


def test_texture_the_channels_share_is_not_read_as_noise():
    """A clean photo that is all fine texture: read as noisy, the denoiser would smooth it away."""
    textured = smooth_photo() + brightness_texture()
    levels = estimate_noise_levels(textured)
    assert levels.texture_scale < 0.2 and levels.overall < 3
    unscaled = estimate_noise_levels(textured, noise_independence=0)
    assert unscaled.texture_scale == 1 and unscaled.overall > 6


@pytest.mark.parametrize("sigma", [2.0, 4.0])
def test_light_noise_on_texture_reads_nearer_its_level_than_without_the_texture_scale(sigma):
    noisy = (smooth_photo() + brightness_texture()
             + np.random.default_rng(7).normal(0, sigma / 255, (256, 256, 3))).astype(np.float32)
    levels = estimate_noise_levels(noisy)
    unscaled = levels.overall / levels.texture_scale
    assert abs(levels.overall - sigma) < 0.5 * abs(unscaled - sigma)


def test_noise_alone_is_not_scaled():
    clean = smooth_photo()
    white = clean + np.random.default_rng(8).normal(0, 15 / 255, clean.shape).astype(np.float32)
    assert estimate_noise_levels(white).texture_scale == 1
    sensor = CameraNoise.with_typical_read_noise(2e-3)
    camera = as_pixels(to_8bit(add_camera_noise(as_tensor(clean), sensor, torch.Generator().manual_seed(9))))
    assert estimate_noise_levels(camera).texture_scale > 0.9
    textured = clean + brightness_texture()
    grey, tiny = textured[:, :, :1], textured[:16, :16]
    assert estimate_noise_levels(grey).texture_scale == 1 and estimate_noise_levels(tiny).texture_scale == 1


def test_in_a_jpeg_texture_reads_less_and_noise_keeps_its_level():
    """4:2:0 JPEG merges the channels' finest detail, noise's too: the channels are compared one
    scale coarser, where noise keeps part of its own."""
    def stored(pixels: np.ndarray) -> np.ndarray:
        return as_pixels(jpeg_round_trip(as_tensor(np.clip(pixels, 0, 1)), 90))

    clean = smooth_photo()
    textured = stored(clean + brightness_texture())
    levels, unscaled = (estimate_noise_levels(textured, from_jpeg=True, noise_independence=value) for value in (None, 0))
    assert unscaled.overall > 6 and levels.overall < 0.5 * unscaled.overall
    assert estimate_noise_levels(textured).texture_scale < levels.texture_scale, "read as a PNG, at the finest scale"
    white = stored(clean + np.random.default_rng(10).normal(0, 15 / 255, clean.shape))
    assert estimate_noise_levels(white, from_jpeg=True).texture_scale == 1
    sensor = CameraNoise.with_typical_read_noise(2e-3)
    camera = stored(as_pixels(add_camera_noise(as_tensor(clean), sensor, torch.Generator().manual_seed(11))))
    assert estimate_noise_levels(camera, from_jpeg=True).texture_scale == 1
