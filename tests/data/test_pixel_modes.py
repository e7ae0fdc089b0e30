"""Tests for the mode rules: alpha on white, 16-bit scaling, colour modes, luminance."""

import numpy as np
import pytest
from PIL import Image

from engine.data.pixel_modes import image_from_array, to_channels
from engine.errors import ImageLoadError
from tests.icc_profiles import cmyk_profile, swapped_inks


def pixel(image, channels):
    return np.asarray(to_channels(image, channels)).reshape(-1, channels)[0].tolist()


@pytest.mark.parametrize(
    ("rgba", "expected"),
    [((255, 0, 0, 0), [255, 255, 255]), ((0, 0, 0, 255), [0, 0, 0]), ((0, 0, 0, 128), [127, 127, 127])],
)
def test_rgba_composited_on_white(rgba, expected):
    assert pixel(Image.new("RGBA", (1, 1), rgba), 3) == expected


def test_grey_alpha_and_palette_transparency_go_on_white():
    assert pixel(Image.new("LA", (1, 1), (0, 0)), 1) == [255]
    palette_image = Image.new("P", (1, 1), 3)
    palette_image.info["transparency"] = 3
    assert pixel(palette_image, 3) == [255, 255, 255]


@pytest.mark.parametrize("mode", ["I;16", "I"])
def test_sixteen_bit_grey_divided_by_257(mode):
    values = np.array([[0, 257, 32896, 65535]], dtype=np.uint16 if mode == "I;16" else np.int32)
    image = Image.fromarray(values).convert(mode) if mode == "I" else Image.fromarray(values)
    assert image.mode == mode
    assert np.asarray(to_channels(image, 1)).tolist() == [[0, 1, 128, 255]]


def test_colour_modes_and_luminance():
    assert pixel(Image.new("CMYK", (1, 1), (0, 255, 255, 0)), 3) == [255, 0, 0]
    assert pixel(Image.new("YCbCr", (1, 1), (128, 128, 128)), 3) == [128, 128, 128]
    assert pixel(Image.new("RGB", (1, 1), (0, 255, 0)), 1) == [150]
    assert pixel(Image.new("L", (1, 1), 77), 3) == [77, 77, 77]


def test_float_pixels_rejected_with_a_reason():
    with pytest.raises(ImageLoadError, match="floating-point"):
        to_channels(Image.new("F", (1, 1)), 3)


@pytest.mark.parametrize(("shape", "mode"), [((2, 3), "L"), ((2, 3, 1), "L"), ((2, 3, 2), "LA"), ((2, 3, 4), "RGBA")])
def test_image_from_array_modes(shape, mode):
    image = image_from_array(np.zeros(shape, dtype=np.uint8))
    assert image.mode == mode and image.size == (3, 2)


def cmyk_pixels() -> Image.Image:
    image = Image.new("CMYK", (4, 1))
    image.putdata([(0, 0, 0, 0), (255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 0, 255)])  # paper, cyan, magenta, black
    return image


def test_cmyk_goes_through_its_embedded_icc_profile():
    image = cmyk_pixels()
    image.info["icc_profile"] = cmyk_profile(swapped_inks)
    rgb = np.asarray(to_channels(image, 3))[0]
    assert np.abs(rgb.astype(int) - [[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 0, 0]]).max() <= 8


@pytest.mark.parametrize("icc_profile", [b"not a profile", b"\0" * 128])
def test_unreadable_icc_profile_falls_back_to_the_formula(icc_profile):
    image = cmyk_pixels()
    image.info["icc_profile"] = icc_profile
    assert np.asarray(to_channels(image, 3))[0].tolist() == [[255, 255, 255], [0, 255, 255], [255, 0, 255], [0, 0, 0]]
