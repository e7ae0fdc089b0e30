"""The noise conditions of `engine bench denoise` and the noisy photos they make: the documented
list, seeding, storage as 8 bits and JPEG, and the true noise level."""

import numpy as np
import pytest
import torch
from PIL import Image

from engine.bench.denoise_quality import load_bench_photos
from engine.bench.noise_conditions import INPUT_KINDS, NoiseCondition, conditions_for, make_noisy, true_level
from engine.denoise import read_photo
from engine.errors import ConfigError
from engine.noise import to_8bit
from engine.noise.storage import CAMERA_CHROMA_SUBSAMPLING


def photo(folder, name="a.png", crop=None):
    return load_bench_photos(folder, [name], crop)[0]


def named(name: str) -> NoiseCondition:
    """The condition called `name` among all kinds' at σ 15, 25 and 50."""
    return {c.name: c for c in conditions_for(list(INPUT_KINDS), [15.0, 25.0, 50.0])}[name]


def test_conditions_per_input_kind_are_the_documented_ones():
    conditions = conditions_for(list(reversed(INPUT_KINDS)), [15.0, 50.0])
    assert [(c.kind, c.name) for c in conditions] == [
        ("gaussian", "gaussian 15"), ("gaussian", "gaussian 50"),
        ("gaussian-8bit", "gaussian 15, 8-bit"), ("gaussian-8bit", "gaussian 50, 8-bit"),
        ("gaussian-jpeg", "gaussian 25, jpeg 90"),
        ("camera-png", "camera low, png"), ("camera-png", "camera high, png"),
        ("camera-jpeg", "camera low, jpeg 90"), ("camera-jpeg", "camera low, jpeg 75"),
        ("camera-jpeg", "camera high, jpeg 90"), ("camera-jpeg", "camera high, jpeg 75"),
    ]
    jpeg, = conditions_for(["gaussian-jpeg"], [15.0])
    assert (jpeg.sigma, jpeg.camera, jpeg.jpeg_quality) == (25.0, None, 90)
    camera = conditions_for(["camera-jpeg"], [15.0])[-1]
    assert (camera.sigma, camera.camera, camera.jpeg_quality) == (None, "high", 75)
    assert [c.name for c in conditions_for(["gaussian", "gaussian"], [25.0])] == ["gaussian 25"]
    with pytest.raises(ConfigError, match="unknown input kind 'raw'; choose from gaussian, gaussian-8bit"):
        conditions_for(["gaussian", "raw"], [25.0])


def test_the_float_gaussian_condition_is_the_benchmarks_original_noise(photo_folder):
    folder, _ = photo_folder
    clean = photo(folder)
    noisy = make_noisy(clean, named("gaussian 25"), seed=0)
    assert np.array_equal(noisy.pixels, clean.noisy(25, seed=0)) and noisy.pixels.dtype == np.float32
    assert not noisy.lossy_jpeg and (noisy.truth == 25).all() and noisy.truth.shape == clean.clean.shape
    assert noisy.true_sigma == 25 and true_level(named("gaussian 25"), noisy) == 25


@pytest.mark.parametrize("name", ["gaussian 15, 8-bit", "gaussian 25, jpeg 90", "camera low, png",
                                  "camera high, jpeg 75"])
def test_noise_is_fixed_by_seed_photo_and_condition(photo_folder, name):
    folder, _ = photo_folder
    first = make_noisy(photo(folder), named(name), seed=0)
    assert np.array_equal(first.pixels, make_noisy(photo(folder), named(name), seed=0).pixels)
    assert not np.array_equal(first.pixels, make_noisy(photo(folder), named(name), seed=1).pixels)


def test_camera_noise_differs_between_photos_and_sensors_but_not_between_storages(photo_folder):
    folder, _ = photo_folder
    a, b = photo(folder, "a.png"), photo(folder, "b.png")
    low = make_noisy(a, named("camera low, png"), seed=0)
    assert not np.array_equal(low.pixels - a.clean, make_noisy(b, named("camera low, png"), 0).pixels - b.clean)
    high = make_noisy(a, named("camera high, png"), seed=0)
    correlation = np.corrcoef((low.pixels - a.clean).ravel(), (high.pixels - a.clean).ravel())[0, 1]
    assert abs(correlation) < 0.2
    jpeg = make_noisy(a, named("camera low, jpeg 90"), seed=0)
    other_noise = make_noisy(a, named("camera low, png"), seed=1)
    luma = [noisy.pixels.mean(axis=2) for noisy in (jpeg, low, other_noise)]  # JPEG keeps luma at full size
    assert np.abs(luma[0] - luma[1]).mean() < 0.7 * np.abs(luma[0] - luma[2]).mean()


@pytest.mark.parametrize("name", ["gaussian 50, 8-bit", "camera high, png", "gaussian 25, jpeg 90",
                                  "camera low, jpeg 75"])
def test_stored_conditions_are_8bit_and_within_range(photo_folder, name):
    folder, _ = photo_folder
    noisy = make_noisy(photo(folder), named(name), seed=0).pixels
    assert noisy.dtype == np.float32 and noisy.min() >= 0 and noisy.max() <= 1
    assert np.allclose(noisy * 255, np.round(noisy * 255), atol=1e-4)


def test_8bit_gaussian_is_the_float_noise_clipped_and_rounded(photo_folder):
    folder, _ = photo_folder
    float_noisy = make_noisy(photo(folder), named("gaussian 50"), seed=0).pixels
    stored = make_noisy(photo(folder), named("gaussian 50, 8-bit"), seed=0)
    expected = to_8bit(torch.from_numpy(float_noisy).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    assert np.array_equal(stored.pixels, expected) and not stored.lossy_jpeg
    assert (stored.truth == 50).all()


@pytest.mark.parametrize("png,jpeg,quality", [("gaussian 25, 8-bit", "gaussian 25, jpeg 90", 90),
                                              ("camera high, png", "camera high, jpeg 75", 75)])
def test_jpeg_conditions_are_what_reading_such_a_file_gives(photo_folder, tmp_path, png, jpeg, quality):
    folder, _ = photo_folder
    stored = make_noisy(photo(folder), named(png), seed=0)
    compressed = make_noisy(photo(folder), named(jpeg), seed=0)
    assert compressed.lossy_jpeg and not stored.lossy_jpeg
    assert not np.array_equal(compressed.pixels, stored.pixels)
    assert np.array_equal(compressed.truth, stored.truth)
    path = tmp_path / "noisy.jpg"
    Image.fromarray(np.round(stored.pixels * 255).astype(np.uint8)).save(
        path, quality=quality, subsampling=CAMERA_CHROMA_SUBSAMPLING)
    from_file = read_photo(path)
    assert from_file.lossy_jpeg and np.array_equal(from_file.pixels, compressed.pixels)


def test_camera_truth_grows_with_the_preset_and_matches_the_noise(estimable_photo_folder):
    """The truth is the simulation's first-order std map: close to the noise away from the ends
    of the range, where clipping and the sRGB curve's bend do not count."""
    folder, _ = estimable_photo_folder
    clean = photo(folder, "c.png")
    low = make_noisy(clean, named("camera low, png"), seed=0)
    high = make_noisy(clean, named("camera high, png"), seed=0)
    assert (high.truth > low.truth).all() and low.truth.dtype == np.float32
    assert 3 < low.true_sigma < high.true_sigma < 60
    assert true_level(named("camera low, png"), low) == round(low.true_sigma, 2)
    mid_tones = (clean.clean > 0.25) & (clean.clean < 0.75)
    for noisy in (low, high):
        measured = np.sqrt(np.mean(np.square(noisy.pixels - clean.clean)[mid_tones])) * 255
        assert measured == pytest.approx(np.sqrt(np.mean(np.square(noisy.truth[mid_tones]))), rel=0.2)
