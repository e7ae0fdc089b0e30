"""Reading and writing photos: exact round trips, modes, metadata, errors, no overwriting."""

import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from engine.denoise import Photo, output_path_for, read_photo, write_photo
from engine.errors import ConfigError, ImageLoadError
from tests.icc_profiles import cmyk_profile, swapped_inks

ORIENTATION, MAKE = 0x0112, 0x010F


def rgb_array(height=20, width=30, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_8_bit_rgb_png_round_trip(tmp_path):
    array = rgb_array()
    Image.fromarray(array).save(tmp_path / "in.png")
    photo = read_photo(tmp_path / "in.png")
    assert photo.pixels.shape == (20, 30, 3) and photo.pixels.dtype == np.float32
    assert (photo.bit_depth, photo.format, photo.alpha, photo.source) == (8, "PNG", None, tmp_path / "in.png")
    assert write_photo(photo, tmp_path / "out.png") == tmp_path / "out.png"
    with Image.open(tmp_path / "out.png") as out:
        assert out.mode == "RGB" and np.array_equal(np.asarray(out), array)


def test_16_bit_grey_png_stays_16_bit(tmp_path):
    array = np.random.default_rng(1).integers(0, 65536, (17, 9), dtype=np.uint16)
    Image.fromarray(array).save(tmp_path / "in.png")
    photo = read_photo(tmp_path / "in.png")
    assert photo.pixels.shape == (17, 9, 1) and photo.bit_depth == 16
    for name in ("out.png", "out.tif"):
        write_photo(photo, tmp_path / name)
        with Image.open(tmp_path / name) as out:
            assert out.mode.startswith("I;16") and np.array_equal(np.asarray(out), array)


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_set_aside_and_restored_exactly(tmp_path, mode):
    channels = len(mode)
    array = np.random.default_rng(2).integers(0, 256, (12, 14, channels), dtype=np.uint8)
    Image.fromarray(array, mode).save(tmp_path / "in.png")
    photo = read_photo(tmp_path / "in.png")
    assert photo.pixels.shape == (12, 14, channels - 1) and photo.alpha.shape == (12, 14)
    write_photo(photo, tmp_path / "out.png")
    with Image.open(tmp_path / "out.png") as out:
        assert out.mode == mode and np.array_equal(np.asarray(out), array)


@pytest.mark.parametrize(
    ("mode", "channels", "has_alpha"),
    [("1", 1, False), ("L", 1, False), ("P", 3, False), ("CMYK", 3, False), ("RGBX", 3, False)],
)
def test_mode_rules(tmp_path, mode, channels, has_alpha):
    image = Image.new(mode, (5, 4))
    name = "in.jpg" if mode == "CMYK" else "in.tif"
    image.save(tmp_path / name)
    photo = read_photo(tmp_path / name)
    assert photo.pixels.shape == (4, 5, channels) and (photo.alpha is not None) == has_alpha


def test_transparent_gif_first_frame_gets_alpha(tmp_path):
    frames = [Image.new("P", (6, 6), 1), Image.new("P", (6, 6), 2)]
    frames[0].save(tmp_path / "in.gif", save_all=True, append_images=frames[1:], transparency=1)
    photo = read_photo(tmp_path / "in.gif")
    assert photo.format == "GIF" and photo.alpha is not None and np.all(photo.alpha == 0)
    assert output_path_for(tmp_path / "in.gif").suffix == ".png"


def test_exif_rotated_jpeg_comes_out_upright_with_orientation_reset(tmp_path):
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = (255, 0, 0)  # left half red
    stored[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # display = stored rotated 90 degrees clockwise: red ends up on top
    exif[MAKE] = "cUNet test camera"
    Image.fromarray(stored).save(tmp_path / "in.jpg", exif=exif, quality=95)
    photo = read_photo(tmp_path / "in.jpg")
    assert photo.pixels.shape == (40, 20, 3)
    assert photo.pixels[:15, :, 0].mean() > 0.9 and photo.pixels[-15:, :, 2].mean() > 0.9
    write_photo(photo, tmp_path / "out.jpg")
    with Image.open(tmp_path / "out.jpg") as out:
        assert out.size == (20, 40)
        assert out.getexif()[ORIENTATION] == 1 and out.getexif()[MAKE] == "cUNet test camera"


def test_png_text_dpi_and_icc_are_carried_over(tmp_path):
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Title", "meadow")
    chunks.add_text("Comment", "ünïcødé → iTXt")
    icc = b"\0" * 128  # opaque bytes: carried, not interpreted
    Image.fromarray(rgb_array()).save(tmp_path / "in.png", pnginfo=chunks, dpi=(300, 300), icc_profile=icc)
    photo = read_photo(tmp_path / "in.png")
    write_photo(photo, tmp_path / "out.png")
    with Image.open(tmp_path / "out.png") as out:
        assert out.text == {"Title": "meadow", "Comment": "ünïcødé → iTXt"}
        assert out.info["dpi"] == pytest.approx((300, 300), abs=0.01) and out.info["icc_profile"] == icc


def test_cmyk_jpeg_is_read_through_its_profile_and_written_as_untagged_srgb(tmp_path):
    cmyk = np.zeros((8, 8, 4), np.uint8)
    cmyk[:, 4:, 0] = 255  # right half pure cyan ink, which this profile says prints yellow
    Image.fromarray(cmyk, "CMYK").save(tmp_path / "in.jpg", icc_profile=cmyk_profile(swapped_inks), quality=100)
    photo = read_photo(tmp_path / "in.jpg")
    assert "icc_profile" not in photo.info  # it describes CMYK, which the pixels have left
    assert np.abs(photo.pixels[4, 6] - [1, 1, 0]).max() < 0.05 and np.abs(photo.pixels[4, 1] - 1).max() < 0.05
    write_photo(photo, tmp_path / "out.png")
    with Image.open(tmp_path / "out.png") as out:
        assert out.mode == "RGB" and "icc_profile" not in out.info


def test_orientation_in_png_xmp_is_cleared_with_the_pixels_turned(tmp_path):
    """exif_transpose turns the pixels for an XMP orientation too; a copy still saying 6 would be
    turned a second time by viewers that read XMP."""
    xmp = '<x:xmpmeta><rdf:Description tiff:Orientation="6" dc:format="image/png"/></x:xmpmeta>'
    chunks = PngImagePlugin.PngInfo()
    chunks.add_itxt("XML:com.adobe.xmp", xmp)
    chunks.add_text("Title", "meadow")
    Image.fromarray(rgb_array(20, 40)).save(tmp_path / "in.png", pnginfo=chunks)
    photo = read_photo(tmp_path / "in.png")
    assert photo.pixels.shape == (40, 20, 3)
    write_photo(photo, tmp_path / "out.png")
    with Image.open(tmp_path / "out.png") as out:
        assert out.size == (20, 40) and out.text["Title"] == "meadow"
        assert "Orientation" not in out.text["XML:com.adobe.xmp"] and 'dc:format="image/png"' in out.text["XML:com.adobe.xmp"]


def test_generation_settings_do_not_travel_into_a_denoised_copy(tmp_path):
    """A denoised copy no longer is what those settings make: Generate must not offer to remake it."""
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("cunet-studio", '{"model": "digits", "seed": 1}')
    chunks.add_text("Title", "kept")
    Image.fromarray(rgb_array()).save(tmp_path / "in.png", pnginfo=chunks)
    write_photo(read_photo(tmp_path / "in.png"), tmp_path / "out.png")
    with Image.open(tmp_path / "out.png") as out:
        assert out.text == {"Title": "kept"}


def test_exif_too_big_for_jpeg_is_left_out_instead_of_failing(tmp_path):
    exif = Image.Exif()
    exif[0x010E] = "x" * 70_000  # ImageDescription: more than a JPEG APP1 segment holds
    exif[MAKE] = "cUNet test camera"
    Image.fromarray(rgb_array()).save(tmp_path / "in.png", exif=exif)
    out = write_photo(read_photo(tmp_path / "in.png"), tmp_path / "out.jpg")
    with Image.open(out) as image:
        assert image.format == "JPEG" and image.size == (30, 20) and "exif" not in image.info


def test_lossless_webp_stays_lossless(tmp_path):
    Image.fromarray(rgb_array()).save(tmp_path / "in.webp", lossless=True)
    Image.fromarray(rgb_array()).save(tmp_path / "lossy.webp", quality=80)
    for name in ("in", "lossy"):
        write_photo(read_photo(tmp_path / f"{name}.webp"), tmp_path / f"{name}-out.webp")
    assert (tmp_path / "in-out.webp").read_bytes()[12:16] == b"VP8L"
    assert (tmp_path / "lossy-out.webp").read_bytes()[12:16] == b"VP8 "
    assert np.array_equal(np.asarray(Image.open(tmp_path / "in-out.webp")), rgb_array())


def test_webp_too_wide_is_refused_with_the_limit_named(tmp_path):
    photo = Photo(np.zeros((1, 16_384, 3), np.float32), None, 8, None, "PNG", {})
    with pytest.raises(ConfigError, match="16,383"):
        write_photo(photo, tmp_path / "wide.webp")
    assert list(tmp_path.iterdir()) == []


def test_jpeg_output_of_transparent_photo_is_composited_on_white(tmp_path):
    pixels = np.zeros((8, 8, 3), np.float32)
    photo = Photo(pixels, np.zeros((8, 8), np.float32), 8, None, "PNG", {})
    write_photo(photo, tmp_path / "out.jpg")
    with Image.open(tmp_path / "out.jpg") as out:
        assert out.mode == "RGB" and np.asarray(out).min() >= 250


def bad_png_bytes():
    buffer = io.BytesIO()
    Image.fromarray(rgb_array(64, 64)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        (b"", "empty file"),
        (b"hello, I am text pretending to be a picture\n" * 10, "not an image"),
        (bad_png_bytes()[:300], "truncated"),
        (bad_png_bytes()[:200] + b"\xff" * 100 + bad_png_bytes()[300:], "corrupt"),
    ],
)
def test_bad_files_raise_specific_errors(tmp_path, content, message):
    path = tmp_path / "bad.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageLoadError, match=message):
        read_photo(path)


def test_unsupported_format_and_too_many_pixels(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "x.ppm")
    with pytest.raises(ImageLoadError, match="PPM images are not supported"):
        read_photo(tmp_path / "x.ppm")
    Image.new("RGB", (20, 20)).save(tmp_path / "x.png")
    with pytest.raises(ImageLoadError, match="20 x 20 pixels is more than the limit of 100"):
        read_photo(tmp_path / "x.png", max_pixels=100)
    with pytest.raises(ImageLoadError, match="folder"):
        read_photo(tmp_path)


def test_writing_over_the_source_is_refused(tmp_path):
    Image.fromarray(rgb_array()).save(tmp_path / "in.png")
    before = (tmp_path / "in.png").read_bytes()
    photo = read_photo(tmp_path / "in.png")
    for target in (tmp_path / "in.png", tmp_path / "." / "in.png"):
        with pytest.raises(ConfigError, match="original"):
            write_photo(photo, target)
    assert (tmp_path / "in.png").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]  # no temp file left behind


def test_write_refuses_unknown_suffix(tmp_path):
    photo = Photo(np.zeros((2, 2, 3), np.float32), None, 8, None, "PNG", {})
    with pytest.raises(ConfigError, match="cannot tell the image format"):
        write_photo(photo, tmp_path / "out.xyz")
    write_photo(photo, tmp_path / "out.xyz", format="png")
    with Image.open(tmp_path / "out.xyz") as out:
        assert out.format == "PNG"


def test_output_path_never_collides(tmp_path):
    source = tmp_path / "photo.JPG"
    source.write_bytes(b"x")
    assert output_path_for(source) == tmp_path / "photo-denoised.JPG"
    assert output_path_for(source, format="png") == tmp_path / "photo-denoised.png"
    assert output_path_for(source, tmp_path / "out", suffix="") == tmp_path / "out" / "photo.JPG"
    assert output_path_for(source, tmp_path, suffix="") == tmp_path / "photo-2.JPG"
    (tmp_path / "photo-denoised.JPG").write_bytes(b"x")
    assert output_path_for(source) == tmp_path / "photo-denoised-2.JPG"  # numbered as a second copy
    (tmp_path / "photo-denoised-2.JPG").write_bytes(b"x")
    assert output_path_for(source) == tmp_path / "photo-denoised-3.JPG"
