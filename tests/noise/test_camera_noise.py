"""The camera-noise simulation: the variance it adds grows with the signal as specified, it is
spatially and colour correlated, and its std map predicts what it does."""

import math

import pytest
import torch

from engine.noise import CameraNoise, add_camera_noise, jpeg_round_trip, linear_to_srgb, srgb_to_linear, to_8bit
from engine.noise.camera import bayer_masks, demosaic_bilinear, linear_camera_noise


def flat(level: float, size: int = 128) -> torch.Tensor:
    return torch.full((3, size, size), level, dtype=torch.float64)


def test_srgb_curves_invert_each_other():
    values = torch.linspace(0, 1, 101, dtype=torch.float64)
    assert torch.allclose(linear_to_srgb(srgb_to_linear(values)), values, atol=1e-9)
    assert float(srgb_to_linear(torch.tensor(0.5))) == pytest.approx(0.2140, abs=1e-4)


def test_linear_noise_variance_grows_with_intensity_as_shot_times_raw_plus_read():
    """Grey is raw (r, g, b) = grey / white balance for a sensor without colour matrix; the
    demosaiced green has, averaged over the Bayer cell, 0.625 of a photosite's variance."""
    sensor = CameraNoise(shot=0.01, read=1e-4, white_balance=(1.0, 1.0, 1.0), ccm=((1, 0, 0), (0, 1, 0), (0, 0, 1)))
    generator = torch.Generator().manual_seed(0)
    measured = []
    for grey in (0.05, 0.2, 0.8):
        noise = linear_camera_noise(flat(grey, 256), sensor, generator)
        measured.append(float(noise[1].var()))
        assert measured[-1] == pytest.approx(0.625 * (0.01 * grey + 1e-4), rel=0.05)
    assert measured[0] < measured[1] < measured[2]


def test_noise_is_correlated_between_neighbours_by_the_demosaic():
    sensor = CameraNoise.with_typical_read_noise(0.01)
    noise = linear_camera_noise(flat(0.3, 256), sensor, torch.Generator().manual_seed(1))
    green = noise[1] - noise[1].mean()
    neighbour_correlation = float((green[:, 1:] * green[:, :-1]).mean() / green.var())
    assert neighbour_correlation > 0.3  # white noise would give about 0
    red, green = noise[0].flatten(), noise[1].flatten()
    assert float(torch.corrcoef(torch.stack([red, green]))[0, 1]) < -0.1  # the colour matrix mixes channels


def test_demosaic_keeps_measured_sites_and_interpolates_the_rest():
    mosaic = torch.arange(36, dtype=torch.float64).reshape(6, 6)
    rgb = demosaic_bilinear(mosaic)
    masks = bayer_masks(6, 6, torch.float64).bool()
    for channel in range(3):
        assert torch.equal(rgb[channel][masks[channel]], mosaic[masks[channel]])
    assert float(rgb[1, 2, 2]) == pytest.approx((mosaic[1, 2] + mosaic[3, 2] + mosaic[2, 1] + mosaic[2, 3]) / 4)


def test_std_map_predicts_the_measured_noise_and_darker_greys_are_noisier_in_srgb():
    sensor = CameraNoise.with_typical_read_noise(2e-3)
    generator = torch.Generator().manual_seed(2)
    levels = []
    for grey in (0.3, 0.6):
        clean = flat(grey, 256)
        noisy = add_camera_noise(clean, sensor, generator)
        predicted = sensor.std_map(clean).mean(dim=(1, 2))
        assert torch.allclose((noisy - clean).std(dim=(1, 2)), predicted, rtol=0.12)
        levels.append(float(predicted[1]))
    assert levels[0] > levels[1]


def test_typical_read_noise_follows_brooks_fit():
    assert CameraNoise.with_typical_read_noise(1e-2).read == pytest.approx(math.exp(2.18 * math.log(1e-2) + 1.2))


def test_storage_rounds_clips_and_jpeg_round_trips():
    ramp = torch.linspace(0, 1, 48)[None, None, :].expand(3, 32, 48)
    image = ramp * 1.4 - 0.2 + 0.05 * torch.randn(3, 32, 48, generator=torch.Generator().manual_seed(3))
    stored = to_8bit(image)
    assert stored.min() >= 0 and stored.max() <= 1
    assert torch.equal(stored * 255, (stored * 255).round())
    jpeg = jpeg_round_trip(stored, 90)
    assert jpeg.shape == stored.shape and torch.equal(jpeg * 255, (jpeg * 255).round())
    assert 0 < float((jpeg - stored).abs().mean()) < 0.05
    assert float((jpeg_round_trip(stored, 50) - stored).abs().mean()) > float((jpeg - stored).abs().mean())
