"""The photo denoiser's training batches: realistic noisy photos at the step their level maps to,
a noise map for networks that take one, loss weights that keep JPEG's blocks from dominating."""

import numpy as np
import pytest
import torch

from engine.denoise.noise_levels import estimate_noise_levels
from engine.diffusion import NoiseSchedule, ScheduleConfig
from engine.training.noised_batch import noised_batch
from engine.training import photo_noise
from engine.training.photo_noise import noisy_photo

SCHEDULE = NoiseSchedule(ScheduleConfig(kind="cosine", max_step=420))


def clean_batch(count: int = 12, size: int = 32) -> torch.Tensor:
    ramp = torch.linspace(-0.8, 0.8, size)
    return (ramp[None, None, None, :] * torch.tensor([1.0, 0.5, -0.7])[None, :, None, None]).expand(count, 3, size, size)


def test_photo_batches_are_fixed_by_the_generator_and_within_the_models_range():
    first = noised_batch("photo", SCHEDULE, "eps", clean_batch(), torch.Generator().manual_seed(0), True)
    again = noised_batch("photo", SCHEDULE, "eps", clean_batch(), torch.Generator().manual_seed(0), True)
    assert torch.equal(first.x_t, again.x_t) and torch.equal(first.noise_map, again.noise_map)
    assert first.x_t.shape == first.target.shape == first.noise_map.shape == (12, 3, 32, 32)
    assert int(first.t.min()) >= 0 and int(first.t.max()) <= 420
    assert bool((first.noise_map >= 0).all()) and bool((first.weight > 0).all()) and bool((first.weight <= 1).all())
    other = noised_batch("photo", SCHEDULE, "eps", clean_batch(), torch.Generator().manual_seed(1), True)
    assert not torch.equal(first.x_t, other.x_t)


def test_a_photo_row_is_the_stored_noisy_photo_scaled_to_its_step_and_its_target_recovers_the_clean_one():
    batch = noised_batch("photo", SCHEDULE, "eps", clean_batch(16), torch.Generator().manual_seed(2), False)
    assert batch.noise_map is None
    abar = SCHEDULE.abar(batch.t).float()[:, None, None, None]
    recovered = (batch.x_t - (1 - abar).sqrt() * batch.target) / abar.sqrt()
    clean = clean_batch(1)[0]
    turns = []
    for row in recovered:  # each row is the clean image in one of its orientations
        matches = [k for k in range(4) if torch.allclose(row, torch.rot90(clean, k, dims=(1, 2)), atol=1e-4)]
        assert len(matches) == 1
        turns += matches
    assert len(set(turns)) > 1


def test_gaussian_batches_are_the_diffusion_forward_process_with_a_uniform_map():
    images = clean_batch(4)
    batch = noised_batch("gaussian", SCHEDULE, "eps", images, torch.Generator().manual_seed(3), True)
    abar = SCHEDULE.abar(batch.t).float()[:, None, None, None]
    assert torch.allclose(batch.x_t, abar.sqrt() * images + (1 - abar).sqrt() * batch.target, atol=1e-6)
    assert torch.allclose(batch.noise_map, (1 - abar).sqrt().expand_as(images))
    assert batch.weight is None


def test_noisy_photos_are_stored_as_8_bits_with_the_level_map_the_engine_would_estimate():
    """The network must be trained on the map it gets at run time: the estimate, not the truth."""
    clean = (clean_batch(1, 64)[0] + 1) / 2
    generator = torch.Generator().manual_seed(4)
    for _ in range(6):
        noisy, level = noisy_photo(clean, generator)
        assert torch.equal(noisy * 255, (noisy * 255).round()) and noisy.min() >= 0 and noisy.max() <= 1
        pixels = noisy.permute(1, 2, 0).numpy().astype(np.float32)
        estimates = [estimate_noise_levels(pixels, from_jpeg=jpeg).per_pixel(pixels) / 255 for jpeg in (False, True)]
        assert any(np.allclose(level.permute(1, 2, 0).numpy(), e, atol=1e-6) for e in estimates)
        assert bool((level >= 0).all()) and float(level.max()) > 0


@pytest.mark.parametrize("share, camera_photos", [(0.0, 8), (1.0, 0)])
def test_the_gaussian_share_sets_how_many_photos_get_white_instead_of_camera_noise(monkeypatch, share, camera_photos):
    calls = []
    real = photo_noise.add_camera_noise
    monkeypatch.setattr(photo_noise, "add_camera_noise", lambda *args: calls.append(1) or real(*args))
    clean = (clean_batch(1, 16)[0] + 1) / 2
    generator = torch.Generator().manual_seed(3)
    for _ in range(8):
        noisy_photo(clean, generator, gaussian_share=share)
    assert len(calls) == camera_photos
