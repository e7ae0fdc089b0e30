"""Gaussian noise synthesis, metrics, tuning and the held-out split of `engine bench denoise`,
on tiny synthetic photos, without scikit-image or bm3d."""

import numpy as np
import pytest
from PIL import Image

from conftest import HELD_OUT, TRAINING
from engine.bench.denoise_methods import Method
from engine.bench.denoise_quality import (
    BENCH_LONG_SIDE,
    SIGMA_GRID,
    DenoiseBenchConfig,
    load_bench_photos,
    method_inputs,
    photo_at_bench_size,
    photo_split,
    psnr,
    ssim,
    tune_methods,
)
from engine.bench.noise_conditions import make_noisy
from engine.errors import ConfigError


def test_noise_is_fixed_by_seed_photo_and_sigma_and_cropped_from_the_full_photo(photo_folder):
    folder, _ = photo_folder
    full, = load_bench_photos(folder, ["a.png"])
    cropped, = load_bench_photos(folder, ["a.png"], crop=16)
    assert cropped.clean.shape == (16, 16, 3) and cropped.region == (slice(7, 23), slice(12, 28))
    noisy = full.noisy(25, seed=0)
    assert np.array_equal(noisy, full.noisy(25, seed=0))
    assert np.array_equal(cropped.noisy(25, seed=0), noisy[cropped.region])
    assert not np.array_equal(noisy, full.noisy(25, seed=1))
    assert not np.array_equal(noisy - full.clean, (full.noisy(50, seed=0) - full.clean) / 2)
    other, = load_bench_photos(folder, ["b.png"])
    assert not np.array_equal(noisy - full.clean, other.noisy(25, seed=0) - other.clean)


def test_noise_has_the_asked_std_and_is_neither_clipped_nor_quantised(photo_folder):
    folder, _ = photo_folder
    photo, = load_bench_photos(folder, ["a.png"])
    noise = photo.noisy(50, seed=3) - photo.clean
    assert noise.dtype == np.float32
    assert abs(noise.std() * 255 - 50) < 4  # 3600 samples
    assert photo.noisy(50, seed=3).min() < 0
    assert not np.allclose(photo.noisy(50, seed=3) * 255, np.round(photo.noisy(50, seed=3) * 255))


def test_psnr_without_scikit_image_is_the_textbook_formula(without_bench_extra):
    clean = np.zeros((4, 4, 3), np.float32)
    assert psnr(clean, clean + 0.1) == pytest.approx(20.0)
    assert psnr(clean, clean) == float("inf")
    assert ssim(clean, clean + 0.1) is None


def test_psnr_and_ssim_with_scikit_image_agree_with_the_formula():
    pytest.importorskip("skimage")
    rng = np.random.default_rng(0)
    clean = rng.random((32, 32, 3)).astype(np.float32)
    estimate = np.clip(clean + rng.normal(0, 0.05, clean.shape), 0, 1).astype(np.float32)
    mse = np.mean((clean.astype(np.float64) - estimate) ** 2)
    assert psnr(clean, estimate) == pytest.approx(10 * np.log10(1 / mse))
    assert ssim(clean, clean) == pytest.approx(1.0)
    assert 0 < ssim(clean, estimate) < 1


def test_split_keeps_held_out_photos_out_of_training(photo_folder, tmp_path):
    folder, split = photo_folder
    held_out, training = photo_split(folder, split)
    assert held_out == HELD_OUT and training == TRAINING
    (folder / "a.png").unlink()
    with pytest.raises(ConfigError, match="held-out photos missing.*a.png"):
        photo_split(folder, split)
    with pytest.raises(ConfigError, match="photo folder .* not found"):
        photo_split(tmp_path / "nowhere", split)


def test_tuning_picks_the_best_grid_value_per_condition_on_training_photos_only(photo_folder):
    folder, split = photo_folder
    held_out, training = photo_split(folder, split)
    seen = []

    def blend(noisy, sigma, weight):
        """weight 0 returns the noisy image, 1 a flat grey one: the best weight grows with sigma."""
        seen.append(noisy.pixels.shape)
        return (1 - weight) * noisy.pixels + weight * noisy.pixels.mean(axis=(0, 1))

    method = Method("blend", "blend", blend, grid=(0.0, 0.3, 0.9))
    config = DenoiseBenchConfig(folder, held_out, training, ["blend"], [2.0, 200.0], tune_crop=12)
    record = tune_methods(config, [method])["blend"]
    assert record.photos == TRAINING and record.crop == 12 and record.sigmas == {}
    assert list(record.values) == ["gaussian 2", "gaussian 200"]
    assert record.values["gaussian 2"] < record.values["gaussian 200"]
    assert set(seen) == {(12, 12, 3)}
    with pytest.raises(ConfigError, match="training photos"):
        tune_methods(DenoiseBenchConfig(folder, held_out, [], ["blend"], [2.0]), [method])


def shrinking(seen: list) -> Method:
    """A method that takes σ: it blends towards the mean by sigma / 50, so it has a best σ."""

    def shrink(noisy, sigma, parameter):
        seen.append((noisy.pixels.shape, sigma))
        weight = min(sigma / 50, 1.0)
        return (1 - weight) * noisy.pixels + weight * noisy.pixels.mean(axis=(0, 1))

    return Method("shrink", "shrink", shrink, takes_sigma=True)


def test_methods_that_take_sigma_get_their_best_one_on_camera_noise_tuned_on_training_photos(photo_folder):
    folder, split = photo_folder
    held_out, training = photo_split(folder, split)
    seen = []
    method = shrinking(seen)
    config = DenoiseBenchConfig(folder, held_out, training, ["shrink"], [25.0], kinds=["gaussian", "camera-png"],
                                tune_crop=12)
    record = tune_methods(config, [method])["shrink"]
    assert record.photos == TRAINING and record.values == {}
    assert list(record.sigmas) == ["camera low, png", "camera high, png"]
    assert set(record.sigmas.values()) <= set(SIGMA_GRID)
    assert record.sigmas["camera low, png"] <= record.sigmas["camera high, png"]
    assert {shape for shape, _ in seen} == {(12, 12, 3)}  # training crops only
    assert {sigma for _, sigma in seen} == set(SIGMA_GRID)  # the Gaussian condition is not tuned

    photo, = load_bench_photos(folder, held_out[:1], crop=16)
    gaussian, camera = config.conditions[0], config.conditions[2]
    noisy = make_noisy(photo, camera, seed=0)
    assert method_inputs(method, camera, noisy, {"shrink": record}) == (record.sigmas["camera high, png"], None)
    assert method_inputs(method, gaussian, make_noisy(photo, gaussian, 0), {"shrink": record}) == (25.0, None)
    told = Method("told", "told", method.run)
    assert method_inputs(told, camera, noisy, {}) == (round(noisy.true_sigma, 2), None)


def test_nothing_is_tuned_where_every_condition_has_a_true_sigma(photo_folder):
    folder, split = photo_folder
    held_out, _ = photo_split(folder, split)
    config = DenoiseBenchConfig(folder, held_out, [], ["shrink"], [25.0], kinds=["gaussian-8bit", "gaussian-jpeg"])
    assert tune_methods(config, [shrinking([])]) == {}


def test_photos_are_measured_at_the_benchmark_photos_size(tmp_path):
    """A full-resolution corpus photo is shrunk to the benchmark's long side; a smaller one is kept."""
    Image.fromarray(np.full((1000, 1536, 3), 200, np.uint8)).save(tmp_path / "large.png")
    Image.fromarray(np.full((300, 200, 3), 100, np.uint8)).save(tmp_path / "small.jpg")
    large, small = photo_at_bench_size(tmp_path / "large.png"), photo_at_bench_size(tmp_path / "small.jpg")
    assert large.shape == (500, BENCH_LONG_SIDE, 3) and large.dtype == np.float32
    assert large.mean() == pytest.approx(200 / 255, abs=1e-3)
    assert small.shape == (300, 200, 3)
