"""A packed photo (results waiting to be saved) writes the same file as the float photo it came
from, at a quarter of the memory for 8-bit pixels."""

import dataclasses

import numpy as np
import pytest
from PIL import Image

from engine.denoise import PackedPhoto, Photo, write_photo
from engine.denoise.denoising import DenoiseResult
from engine.errors import ConfigError


def float_photo(channels: int, bit_depth: int = 8, alpha: bool = False, seed: int = 0) -> Photo:
    """Float pixels that are not on the integer grid, as a denoiser's output is."""
    rng = np.random.default_rng(seed)
    pixels = rng.random((24, 40, channels), dtype=np.float32)
    alpha_plane = rng.integers(0, 256, (24, 40)).astype(np.float32) / 255 if alpha else None
    return Photo(pixels, alpha_plane, bit_depth, None, "PNG", {})


@pytest.mark.parametrize(
    ("channels", "bit_depth", "alpha", "name"),
    [(3, 8, False, "out.png"), (3, 8, True, "out.png"), (1, 8, True, "out.png"), (1, 16, False, "out.png"),
     (1, 16, False, "out.tif"), (3, 8, False, "out.bmp")],
)
def test_packed_photo_writes_the_same_pixels_as_the_float_photo(tmp_path, channels, bit_depth, alpha, name):
    photo = float_photo(channels, bit_depth, alpha)
    packed = PackedPhoto.pack(photo)
    write_photo(photo, tmp_path / f"float-{name}")
    write_photo(packed, tmp_path / f"packed-{name}")
    with Image.open(tmp_path / f"float-{name}") as expected, Image.open(tmp_path / f"packed-{name}") as written:
        assert written.mode == expected.mode
        assert np.array_equal(np.asarray(written), np.asarray(expected))


def test_packing_takes_a_quarter_of_the_memory_of_8_bit_float_pixels():
    photo = float_photo(3, alpha=True)
    packed = PackedPhoto.pack(photo)
    assert packed.pixels.dtype == np.uint8 and packed.alpha.dtype == np.uint8
    assert packed.nbytes * 4 == photo.pixels.nbytes + photo.alpha.nbytes
    sixteen = PackedPhoto.pack(float_photo(1, bit_depth=16))
    assert sixteen.pixels.dtype == np.uint16


def test_unpacking_restores_the_fields_and_the_rounded_pixels():
    photo = dataclasses.replace(float_photo(3, alpha=True), info={"dpi": (300.0, 300.0)}, format="JPEG")
    restored = PackedPhoto.pack(photo).unpack()
    assert (restored.bit_depth, restored.format, restored.info, restored.source) == (8, "JPEG", photo.info, None)
    assert restored.pixels.dtype == np.float32
    assert np.abs(restored.pixels - photo.pixels).max() <= 0.5 / 255 + 1e-7
    assert np.array_equal(restored.alpha, photo.alpha)


def test_eight_bit_pixels_share_the_packed_array_or_round_16_bit_values():
    packed = PackedPhoto.pack(float_photo(3))
    assert packed.eight_bit_pixels() is packed.pixels
    sixteen = PackedPhoto.pack(float_photo(1, bit_depth=16))
    expected = np.rint(sixteen.pixels.astype(np.float64) / 257).astype(np.uint8)
    assert np.array_equal(sixteen.eight_bit_pixels(), expected)


def test_a_packed_result_keeps_its_report_and_refuses_to_write_over_its_source(tmp_path):
    source = tmp_path / "photo.png"
    Image.new("RGB", (40, 24)).save(source)
    photo = dataclasses.replace(float_photo(3), source=source)
    result = DenoiseResult(photo, 12.5, [12.5], 40, 10, 256, 1, notes=["a note"])
    packed = result.packed()
    assert isinstance(packed.photo, PackedPhoto) and packed.packed() is packed
    assert (packed.sigma, packed.start_step, packed.notes) == (12.5, 40, ["a note"])
    with pytest.raises(ConfigError, match="refusing to write over the original"):
        write_photo(packed.photo, source)
