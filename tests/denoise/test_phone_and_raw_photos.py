"""The photos people own: HEIC/HEIF and AVIF from phones, camera RAW. What they are read as, what
they are written back as, and that 16 bits survive from a RAW to its TIFF copy. (Hostile files of
these kinds are in the robustness corpus, tests/robustness/corpus.py.)"""

import numpy as np
import pytest
import tifffile
from PIL import Image

from engine.cli.main import main
from engine.denoise import DenoiseSettings, denoise_photo, output_path_for, read_photo, write_photo
from engine.denoise.packed_photo import quantize
from engine.errors import ImageLoadError
from photo_formats import DNG_WHITE_LEVEL, avif_bytes, dng_bytes, heic_bytes, sensor_gradient

ORIENTATION, MAKE = 0x0112, 0x010F


def camera_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "cUNet test phone"
    return exif


def left_red_right_blue(height: int = 20, width: int = 40) -> Image.Image:
    stored = np.zeros((height, width, 3), np.uint8)
    stored[:, : width // 2] = (255, 0, 0)
    stored[:, width // 2 :] = (0, 0, 255)
    return Image.fromarray(stored)


@pytest.mark.parametrize("kind", ["heic", "avif"])
def test_phone_photos_are_read_upright_and_saved_as_avif_with_their_exif(tmp_path, kind):
    """Stored sideways with orientation 6 (the usual phone portrait): red must end up on top."""
    exif = camera_exif(6)
    make = heic_bytes if kind == "heic" else avif_bytes
    (tmp_path / f"in.{kind}").write_bytes(make(left_red_right_blue(), quality=95, exif=exif.tobytes()))
    photo = read_photo(tmp_path / f"in.{kind}")
    assert (photo.format, photo.bit_depth, photo.pixels.shape) == ({"heic": "HEIF"}.get(kind, "AVIF"), 8, (40, 20, 3))
    assert photo.pixels[:15, :, 0].mean() > 0.9 and photo.pixels[-15:, :, 2].mean() > 0.9
    target = output_path_for(tmp_path / f"in.{kind}")
    assert target.name == "in-denoised.avif"
    write_photo(photo, target)
    with Image.open(target) as out:
        assert out.format == "AVIF" and out.size == (20, 40)
        assert out.getexif().get(ORIENTATION, 1) == 1 and out.getexif()[MAKE] == "cUNet test phone"
        assert np.abs(np.asarray(out, np.float32) / 255 - photo.pixels).mean() < 0.02  # lossy, but close


def test_a_heic_named_jpg_and_a_jpeg_named_heic_are_read_by_what_they_hold(tmp_path):
    (tmp_path / "heic.jpg").write_bytes(heic_bytes(left_red_right_blue(), quality=90))
    left_red_right_blue().save(tmp_path / "jpeg.heic", format="JPEG")
    assert read_photo(tmp_path / "heic.jpg").format == "HEIF"
    assert read_photo(tmp_path / "jpeg.heic").format == "JPEG"


def test_raw_develops_at_the_cameras_exposure_in_srgb_at_16_bits(tmp_path):
    """A uniform sensor at half the white level is neutral grey at sRGB 0.735 (the sRGB curve at
    0.5): LibRaw's auto-brightening would have pushed it to white."""
    (tmp_path / "grey.dng").write_bytes(dng_bytes(np.full((24, 32), (DNG_WHITE_LEVEL + 1) // 2, np.uint16)))
    photo = read_photo(tmp_path / "grey.dng")
    assert (photo.format, photo.bit_depth, photo.alpha, photo.info) == ("RAW", 16, None, {})
    assert photo.pixels.shape == (24, 32, 3) and photo.pixels.dtype == np.float32
    np.testing.assert_allclose(photo.pixels.mean(axis=(0, 1)), 0.735, atol=0.01)


def test_raw_comes_out_upright(tmp_path):
    (tmp_path / "portrait.nef").write_bytes(dng_bytes(sensor_gradient(24, 32), orientation=6))
    assert read_photo(tmp_path / "portrait.nef").pixels.shape == (32, 24, 3)


def test_a_raw_result_is_written_as_a_16_bit_tiff(tmp_path):
    (tmp_path / "in.dng").write_bytes(dng_bytes(sensor_gradient()))
    photo = read_photo(tmp_path / "in.dng")
    target = output_path_for(tmp_path / "in.dng")
    assert target.name == "in-denoised.tif"
    write_photo(photo, target)
    written = tifffile.imread(target)
    assert written.dtype == np.uint16 and written.shape == (24, 32, 3)
    assert np.array_equal(written, quantize(photo.pixels, np.uint16))
    assert np.mean(written % 257 != 0) > 0.5, "the values are not 8-bit ones scaled up"
    with Image.open(target) as image:  # and any viewer opens it (Pillow: at 8 bits)
        assert image.mode == "RGB" and image.size == (32, 24)


def test_a_raw_result_saved_as_png_is_8_bit(tmp_path):
    (tmp_path / "in.dng").write_bytes(dng_bytes(sensor_gradient()))
    write_photo(read_photo(tmp_path / "in.dng"), tmp_path / "out.png")
    with Image.open(tmp_path / "out.png") as image:
        assert image.mode == "RGB" and image.size == (32, 24)


def test_sixteen_bits_survive_denoising(tmp_path, zero_noise_model):
    (tmp_path / "in.dng").write_bytes(dng_bytes(sensor_gradient()))
    photo = read_photo(tmp_path / "in.dng")
    result = denoise_photo(zero_noise_model(), photo, DenoiseSettings(sigma=5, tile_size=16, tile_overlap=4))
    assert result.photo.bit_depth == 16
    packed = result.packed().photo
    assert packed.pixels.dtype == np.uint16 and np.mean(packed.pixels % 257 != 0) > 0.5


def test_a_jpeg_named_nef_is_read_as_a_jpeg_and_a_tiff_named_dng_is_refused(tmp_path):
    left_red_right_blue().save(tmp_path / "jpeg.nef", format="JPEG")
    assert read_photo(tmp_path / "jpeg.nef").format == "JPEG"
    left_red_right_blue().save(tmp_path / "tiff.dng", format="TIFF")
    with pytest.raises(ImageLoadError, match="a camera RAW file LibRaw cannot read"):
        read_photo(tmp_path / "tiff.dng")


def test_librarys_own_complaints_do_not_reach_the_terminal(tmp_path, capfd):
    """LibRaw prints "<path>: Unexpected end of file" from C; the error line says it instead."""
    (tmp_path / "cut.dng").write_bytes(dng_bytes(sensor_gradient())[:900])
    with pytest.raises(ImageLoadError, match=r"^truncated file.*Unexpected end of file\)$"):
        read_photo(tmp_path / "cut.dng")
    assert capfd.readouterr().err == ""


def test_engine_denoise_writes_phone_and_raw_photos_in_formats_it_can_write(tmp_path, tiny_model_folder, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "phone.heic").write_bytes(heic_bytes(left_red_right_blue(24, 24), quality=90))
    (folder / "camera.CR2").write_bytes(dng_bytes(sensor_gradient()))
    args = ["denoise", str(folder), "--out", str(tmp_path / "out"), "--model", str(tiny_model_folder),
            "--sigma", "12", "--tile", "16", "--overlap", "4", "--device", "cpu"]
    assert main(args) == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["camera-denoised.tif", "phone-denoised.avif"]
    assert tifffile.imread(tmp_path / "out" / "camera-denoised.tif").dtype == np.uint16
