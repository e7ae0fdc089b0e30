"""denoise_photo: the noise-level mapping, shapes and modes, channel handling, tiling at scale,
progress, trajectories, cancellation and determinism."""

import dataclasses
import threading

import numpy as np
import pytest
import torch
from PIL import Image

from engine.denoise import DenoiseSettings, Photo, denoise_photo, read_photo, write_photo
from engine.denoise import denoising
from engine.denoise.denoising import AUTO_OVERLAP_FRACTION, NETWORK_BATCH_PIXELS
from engine.denoise.live_preview import UNPROCESSED_FADE
from engine.denoise.trajectory_recorder import MAX_PIXEL_STEPS
from engine.errors import Cancelled, ConfigError


def test_start_step_grows_with_sigma_and_zero_means_unchanged(zero_noise_model, random_photo):
    model, photo = zero_noise_model(), random_photo(8, 8)
    steps = [denoise_photo(model, photo, DenoiseSettings(sigma=s)).start_step for s in (0, 1, 5, 10, 25, 50, 100)]
    assert steps[0] == -1 and steps[1:] == sorted(steps[1:]) and len(set(steps[1:])) == 6
    # sigma 25/255 on [0, 1] is 0.196 in [-1, 1] units; the schedule maps that level to t*.
    assert steps[4] == model.schedule.step_for_noise_level(2 * 25 / 255)


def test_sigma_zero_returns_the_input_unchanged(tiny_model, random_photo):
    photo = random_photo(9, 11, alpha=True)
    result = denoise_photo(tiny_model, photo, DenoiseSettings(sigma=0))
    assert np.array_equal(result.photo.pixels, photo.pixels) and np.array_equal(result.photo.alpha, photo.alpha)
    assert (result.start_step, result.steps_taken, result.tiles) == (-1, 0, 0)
    assert result.photo.pixels is not photo.pixels and "unchanged" in result.notes[0]


def test_noise_beyond_the_model_range_is_clamped_with_a_note(zero_noise_model, random_photo):
    result = denoise_photo(zero_noise_model(max_step=50), random_photo(8, 8), DenoiseSettings(sigma=120))
    assert result.start_step == 50 and "above what this model was trained for" in result.notes[0]


@pytest.mark.parametrize(("strength", "steps", "taken"), [(0.0, 10, 1), (1.0, 10, 10), (0.5, 5, 3), (1.0, 1, 1)])
def test_strength_sets_the_number_of_steps(zero_noise_model, random_photo, strength, steps, taken):
    settings = DenoiseSettings(sigma=30, strength=strength, steps=steps)
    result = denoise_photo(zero_noise_model(), random_photo(8, 8), settings)
    assert result.steps_taken == taken


def test_output_keeps_size_mode_bit_depth_alpha_and_metadata(tmp_path, tiny_model):
    rgba = np.random.default_rng(0).integers(0, 256, (21, 35, 4), dtype=np.uint8)
    Image.fromarray(rgba).save(tmp_path / "rgba.png", dpi=(200, 200))
    grey16 = np.random.default_rng(1).integers(0, 65536, (19, 23), dtype=np.uint16)
    Image.fromarray(grey16).save(tmp_path / "grey16.png")
    for name, mode in (("rgba.png", "RGBA"), ("grey16.png", "I;16")):
        photo = read_photo(tmp_path / name)
        result = denoise_photo(tiny_model, photo, DenoiseSettings(sigma=20, tile_size=16, tile_overlap=4))
        assert result.photo.pixels.shape == photo.pixels.shape and result.photo.bit_depth == photo.bit_depth
        assert result.photo.source == photo.source and result.tiles > 1
        assert not np.array_equal(result.photo.pixels, photo.pixels)
        out = write_photo(result.photo, tmp_path / f"out-{name}")
        with Image.open(out) as image:
            assert image.mode == mode and image.size == photo.size
            if mode == "RGBA":
                assert np.array_equal(np.asarray(image)[:, :, 3], rgba[:, :, 3])
                assert image.info["dpi"] == pytest.approx((200, 200), abs=0.01)


@pytest.mark.parametrize(("photo_channels", "model_channels", "seen"), [(1, 3, 3), (3, 1, 1), (3, 3, 3), (1, 1, 1)])
def test_channel_handling_round_trips(zero_noise_model, random_photo, photo_channels, model_channels, seen):
    model, photo = zero_noise_model(model_channels), random_photo(30, 20, photo_channels)
    result = denoise_photo(model, photo, DenoiseSettings(sigma=15, strength=1, steps=3))
    np.testing.assert_allclose(result.photo.pixels, photo.pixels, atol=1e-5)
    assert model.network.channels_seen == {seen}


def test_large_photo_is_tiled_in_bounded_batches(zero_noise_model, random_photo):
    model, photo = zero_noise_model(), random_photo(700, 1000, seed=3)
    settings = DenoiseSettings(sigma=10, strength=1, steps=2, tile_size=64, tile_overlap=16)
    result = denoise_photo(model, photo, settings)
    assert result.tiles == 15 * 21 and result.steps_taken == 2
    np.testing.assert_allclose(result.photo.pixels, photo.pixels, atol=1e-5)
    per_batch = NETWORK_BATCH_PIXELS // 64**2
    assert model.network.largest_batch == per_batch and model.network.largest_side == 64
    assert model.network.calls == 2 * int(np.ceil(result.tiles / per_batch))


def test_auto_tiles_are_the_models_training_size(zero_noise_model, random_photo):
    model = zero_noise_model()
    result = denoise_photo(model, random_photo(100, 150), DenoiseSettings(sigma=10))
    size = model.spec.image_size
    assert (result.tile_size, result.tile_overlap) == (size, round(size * AUTO_OVERLAP_FRACTION))
    assert model.network.largest_side == size and result.tiles > 1
    with pytest.raises(ConfigError, match="half the tile size"):  # only the auto tile makes 20 too much
        denoise_photo(model, random_photo(100, 150), DenoiseSettings(sigma=10, tile_overlap=20))


def test_a_network_that_sees_only_nearby_pixels_gets_large_tiles_fitted_to_the_photo(zero_noise_model, random_photo):
    model = zero_noise_model()
    local = dataclasses.replace(model.spec, network=model.spec.network | {"attention_levels": [], "norm": "pixel"})
    model = dataclasses.replace(model, spec=local)
    photo = random_photo(600, 1100)
    result = denoise_photo(model, photo, DenoiseSettings(sigma=10))
    # 1,100 px: three tiles (as three of 512 would need) of 400 px; 600 px: two of 320; at most 512 on a side
    assert (result.tiles, result.tile_size, result.tile_overlap) == (6, 400, 32)
    assert model.network.largest_side == 400
    np.testing.assert_allclose(result.photo.pixels, photo.pixels, atol=1e-5)  # the blend still adds up to 1
    told = denoise_photo(model, photo, DenoiseSettings(sigma=10, tile_size=512))
    assert (told.tiles, told.tile_size) == (6, 512)  # a tile size the user chose is kept


def test_progress_previews_and_trajectory(tiny_model, random_photo):
    reports = []
    settings = DenoiseSettings(sigma=25, strength=1, steps=3, tile_size=64, keep_trajectory=True)
    result = denoise_photo(tiny_model, random_photo(24, 40, 1), settings, progress=reports.append)
    assert [(r.tile, r.tiles, r.step, r.steps) for r in reports] == [(1, 1, 1, 3), (1, 1, 2, 3), (1, 1, 3, 3)]
    assert reports[-1].fraction == 1 and reports[0].preview.shape == (24, 40, 1)
    assert len(result.trajectory_x_t) == len(result.trajectory_x0) == 3
    assert all(frame.shape == (24, 40, 1) and frame.dtype == np.uint8 for frame in result.trajectory_x_t)


def test_progress_without_previews_reports_the_same_steps_and_the_same_photo(tiny_model, random_photo):
    photo = random_photo(24, 40, 3)
    settings = DenoiseSettings(sigma=25, strength=1, steps=3, tile_size=64)
    with_previews, without = [], []
    shown = denoise_photo(tiny_model, photo, settings, progress=with_previews.append)
    bare = denoise_photo(tiny_model, photo, settings, progress=without.append, previews=False)
    assert [(r.tile, r.step, r.fraction) for r in without] == [(r.tile, r.step, r.fraction) for r in with_previews]
    assert all(r.preview is None for r in without) and all(r.preview is not None for r in with_previews)
    assert np.array_equal(bare.photo.pixels, shown.photo.pixels)


class ConstantNoise(torch.nn.Module):
    """Predicts eps = 1 everywhere: in one step from t* the predicted clean photo is the input
    darkened by exactly sigma, so denoised and not-yet-denoised regions differ visibly."""

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(x)


def test_live_preview_shows_the_whole_photo_cleaning_batch_by_batch(monkeypatch, zero_noise_model):
    monkeypatch.setattr(denoising, "NETWORK_BATCH_PIXELS", 16 * 64**2)
    model = dataclasses.replace(zero_noise_model(), network=ConstantNoise())
    photo = Photo(np.full((400, 600, 3), 0.6, np.float32), None, 8, None, "PNG", {})
    reports = []
    result = denoise_photo(model, photo, DenoiseSettings(sigma=51, tile_size=64, tile_overlap=16),
                           progress=reports.append)
    assert len(reports) == int(np.ceil(result.tiles / 16)) > 3
    np.testing.assert_allclose(result.photo.pixels, 0.4, atol=1e-3)  # t* is the nearest step to sigma
    denoised_share, faded = [], round((0.6 + (0.5 - 0.6) * UNPROCESSED_FADE) * 255)
    for report in reports:
        assert report.preview.shape == (171, 256, 3) and report.preview.dtype == np.uint8
        assert set(np.unique(report.preview)) <= {102, faded}  # denoised (0.4) or not yet (0.6, faded)
        denoised_share.append(np.mean(report.preview == 102))
    assert 0 < denoised_share[0] < 0.25 and denoised_share == sorted(denoised_share) and denoised_share[-1] == 1
    assert photo.pixels.min() == photo.pixels.max() == np.float32(0.6)  # the caller's photo is untouched


def test_live_preview_never_writes_into_a_small_photo(zero_noise_model, random_photo):
    model = dataclasses.replace(zero_noise_model(), network=ConstantNoise())
    photo = random_photo(40, 60)
    before = photo.pixels.copy()
    reports = []
    denoise_photo(model, photo, DenoiseSettings(sigma=30, tile_size=16, tile_overlap=4), progress=reports.append)
    assert reports[0].preview.shape == (40, 60, 3) and np.array_equal(photo.pixels, before)


def test_progress_over_tile_batches_reaches_one(zero_noise_model, random_photo):
    reports = []
    settings = DenoiseSettings(sigma=10, tile_size=16, tile_overlap=4)
    result = denoise_photo(zero_noise_model(), random_photo(40, 50), settings, progress=reports.append)
    fractions = [r.fraction for r in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1 and reports[-1].tile == result.tiles


def test_trajectory_covers_the_whole_photo_across_tiles(monkeypatch, zero_noise_model, random_photo):
    """The zero-noise model returns its input at every step, so every frame, blended from many
    tile batches, must be the photo itself: a seam or a missed batch would show."""
    monkeypatch.setattr(denoising, "NETWORK_BATCH_PIXELS", 8 * 16**2)
    photo = random_photo(40, 200)
    settings = DenoiseSettings(sigma=10, strength=1, steps=3, tile_size=16, tile_overlap=4, keep_trajectory=True)
    model = zero_noise_model()
    result = denoise_photo(model, photo, settings)
    assert model.network.calls == 3 * int(np.ceil(result.tiles / 8)) > 3 and len(result.trajectory_x0) == 3
    expected = np.round(photo.pixels * 255)
    for frame in (*result.trajectory_x_t, *result.trajectory_x0):
        assert frame.shape == (40, 200, 3) and np.abs(frame - expected).max() <= 1


def test_trajectory_beyond_the_memory_bound_is_skipped_with_a_note(zero_noise_model, random_photo):
    steps = 2
    side = int(np.sqrt(MAX_PIXEL_STEPS / steps)) + 1
    settings = DenoiseSettings(sigma=10, strength=1, steps=steps, keep_trajectory=True)
    photo = Photo(np.zeros((side, side, 1), np.float32), None, 8, None, "PNG", {})
    result = denoise_photo(zero_noise_model(1), photo, settings)
    assert result.trajectory_x_t == [] and "no trajectory recorded" in result.notes[0]


def test_estimated_sigma_is_used_when_none_is_given(zero_noise_model):
    v, u = np.mgrid[0:128, 0:128] / 128
    clean = np.stack([0.3 + 0.4 * u, 0.5 + 0.2 * v, 0.4 + 0.2 * u * v], axis=2)
    noisy = clean + np.random.default_rng(0).normal(0, 20 / 255, clean.shape)
    photo = Photo(noisy.astype(np.float32), None, 8, None, "PNG", {})
    result = denoise_photo(zero_noise_model(), photo)
    assert result.sigma_estimated == pytest.approx([20, 20, 20], rel=0.15)
    assert result.sigma == pytest.approx(20, rel=0.15)


def test_deterministic(tiny_model, random_photo):
    settings = DenoiseSettings(sigma=30, strength=0.5, steps=3, tile_size=16, tile_overlap=4)
    first = denoise_photo(tiny_model, random_photo(20, 24), settings)
    second = denoise_photo(tiny_model, random_photo(20, 24), settings)
    assert np.array_equal(first.photo.pixels, second.photo.pixels)


def test_cancel_raises_and_nothing_is_written(tmp_path, zero_noise_model, random_photo):
    model, photo, cancel = zero_noise_model(), random_photo(40, 40), threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        denoise_photo(model, photo, DenoiseSettings(sigma=10), cancel=cancel)
    assert model.network.calls == 0

    cancel.clear()
    settings = DenoiseSettings(sigma=10, strength=1, steps=4, tile_size=16, tile_overlap=4)
    with pytest.raises(Cancelled):  # set mid-way: the sampler stops at its next step
        denoise_photo(model, photo, settings, progress=lambda p: cancel.set(), cancel=cancel)
        write_photo(photo, tmp_path / "never.png")
    assert model.network.calls == 1 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "kwargs",
    [{"sigma": -1}, {"strength": 1.5}, {"steps": 0}, {"tile_size": 8}, {"tile_overlap": -1},
     {"tile_size": 32, "tile_overlap": 17}, {"precision": "fp16"}],
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ConfigError):
        DenoiseSettings(**kwargs)


def _with_card(model, card):
    return dataclasses.replace(model, spec=dataclasses.replace(model.spec, card=card))


@pytest.mark.parametrize("checked, fast, precision, expected", [
    (True, True, "auto", True), (False, True, "auto", False), (True, False, "auto", False),
    (False, False, "bf16", True), (True, True, "fp32", False),
])
def test_auto_precision_is_bf16_only_for_a_model_checked_in_it_on_a_device_that_computes_it(
        monkeypatch, tiny_model, checked, fast, precision, expected):
    monkeypatch.setattr(denoising, "has_fast_bf16", lambda device: fast)
    model = _with_card(tiny_model, {"recommended": {"precision": "bf16"}} if checked else {})
    assert DenoiseSettings(precision=precision).uses_bf16(model) is expected


def test_bf16_runs_the_network_in_bfloat16_and_stays_close_to_fp32(monkeypatch, tiny_model, random_photo):
    dtypes = []
    hook = tiny_model.network.head.register_forward_hook(lambda module, inputs, output: dtypes.append(output.dtype))
    try:
        photo = random_photo(20, 24)
        full = denoise_photo(tiny_model, photo, DenoiseSettings(sigma=30, precision="fp32"))
        half = denoise_photo(tiny_model, photo, DenoiseSettings(sigma=30, precision="bf16"))
    finally:
        hook.remove()
    assert (full.bf16, half.bf16) == (False, True)
    assert dtypes[0] == torch.float32 and dtypes[-1] == torch.bfloat16
    assert half.photo.pixels.dtype == np.float32
    difference = np.abs(half.photo.pixels - full.photo.pixels)
    assert 0 < difference.max() < 0.05  # computed otherwise, nearly the same photo
