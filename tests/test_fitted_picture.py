"""Fitting a user's picture and mask to a model: centre crop, Lanczos resize, the model's
channels, a binary mask, and a description that says what was done."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from engine.errors import ImageLoadError
from engine.fitted_picture import aspect_note, fit_mask, fit_picture
from robustness.corpus import build_corpus


def test_a_large_colour_photo_is_cropped_resized_and_made_grey(tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (768, 1024, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    fitted = fit_picture(tmp_path / "photo.png", 28, 1)
    assert fitted.description == "converted to grey, cropped 1024x768 to its centre 768x768, resized to 28x28"
    assert fitted.pixels.shape == (1, 28, 28) and fitted.pixels.dtype == torch.float32
    assert -1 <= fitted.pixels.min() and fitted.pixels.max() <= 1
    assert fitted.source_size == (1024, 768)


def test_the_centre_is_what_is_kept(tmp_path):
    """Three 10 px bands, dark | light | dark: the centre crop of a 30x10 picture is the light one."""
    bands = np.zeros((10, 30), np.uint8)
    bands[:, 10:20] = 200
    Image.fromarray(bands).save(tmp_path / "bands.png")
    fitted = fit_picture(tmp_path / "bands.png", 10, 1)
    assert fitted.description == "cropped 30x10 to its centre 10x10"
    assert torch.allclose(fitted.pixels, torch.full((1, 10, 10), 200 / 127.5 - 1))


def test_a_picture_that_already_fits_is_used_as_it_is_in_the_training_data_tones(tmp_path):
    """0 (MNIST's background) is -1, 255 (its ink) is +1, as `engine.data` loads training images."""
    pixels = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    Image.fromarray(pixels).save(tmp_path / "digit.png")
    fitted = fit_picture(tmp_path / "digit.png", 8, 1)
    assert fitted.description == "already 8x8 grey: used as it is"
    assert torch.equal(fitted.pixels[0], torch.from_numpy(pixels.astype(np.float32)) / 127.5 - 1)


def test_grey_becomes_rgb_and_transparency_white(tmp_path):
    Image.new("L", (8, 8), 0).save(tmp_path / "grey.png")
    fitted = fit_picture(tmp_path / "grey.png", 8, 3)
    assert fitted.description == "copied its grey to RGB" and torch.equal(fitted.pixels, -torch.ones(3, 8, 8))
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    fitted = fit_picture(tmp_path / "clear.png", 8, 3)
    assert fitted.description == "filled its transparent areas with white" and torch.equal(fitted.pixels, torch.ones(3, 8, 8))


def test_a_mask_is_white_from_half_grey_up(tmp_path):
    mask = np.zeros((8, 8), np.uint8)
    mask[:, 4:] = 128  # just over 50% grey: regenerate
    mask[:4, :4] = 127  # just under: keep
    Image.fromarray(mask).save(tmp_path / "mask.png")
    fitted = fit_mask(tmp_path / "mask.png", 8)
    assert torch.equal(fitted.pixels[0], torch.from_numpy(mask >= 128).float())
    assert fitted.description == "thresholded at 50% grey: 32 of 64 pixels to regenerate"


def test_a_mask_stays_binary_through_its_resize(tmp_path):
    mask = np.zeros((30, 30), np.uint8)
    mask[:, 15:] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    fitted = fit_mask(tmp_path / "mask.png", 8)
    assert fitted.pixels.shape == (1, 8, 8) and set(fitted.pixels.unique().tolist()) == {0.0, 1.0}
    assert fitted.pixels[0, :, :4].sum() == 0 and fitted.pixels[0, :, 4:].sum() == 32
    assert fitted.description == "resized to 8x8, thresholded at 50% grey: 32 of 64 pixels to regenerate"


def test_a_mask_of_another_aspect_is_noted(tmp_path):
    Image.new("L", (40, 20)).save(tmp_path / "picture.png")
    Image.new("L", (20, 10), 255).save(tmp_path / "same.png")
    Image.new("L", (20, 20), 255).save(tmp_path / "square.png")
    picture = fit_picture(tmp_path / "picture.png", 8, 1)
    assert aspect_note(picture, fit_mask(tmp_path / "same.png", 8)) is None
    note = aspect_note(picture, fit_mask(tmp_path / "square.png", 8))
    assert note is not None and "the mask is 20x20 but the picture 40x20" in note
    Image.new("L", (8, 8), 255).save(tmp_path / "fitted.png")  # made for the fitted picture, as the GUI paints
    assert aspect_note(picture, fit_mask(tmp_path / "fitted.png", 8)) is None


def test_every_file_the_photo_reader_takes_fits_and_every_other_is_one_error_naming_it(tmp_path):
    for case in build_corpus(tmp_path):
        path = tmp_path / case.name
        if case.reason is None and case.photo_only_reason is None:
            fitted = fit_picture(path, 8, 3)
            assert fitted.pixels.shape == (3, 8, 8) and fitted.source_size == case.size, case.id
            continue
        for fit in (lambda path: fit_picture(path, 8, 1), lambda path: fit_mask(path, 8)):
            with pytest.raises(ImageLoadError) as error:
                fit(path)
            message = str(error.value)
            assert "\n" not in message and message.startswith(f"{case.name}: "), case.id
