"""Tests for the image folder dataset: formats, bad files skipped with reasons, EXIF, 16-bit, bombs."""

import io
import logging

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data.image_files import decode_image
from engine.data.image_folder import ImageFolderDataset
from engine.errors import DatasetError

GOOD_FILES = ["a.png", "b.jpg", "c.webp", "d.bmp", "sub/e.tiff", "sub/deeper/f.gif", "sub/G.JPEG"]


def noise_image(width=20, height=12, seed=0, mode="RGB"):
    channels = {"RGB": 3, "RGBA": 4}[mode]
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)
    return Image.fromarray(pixels)


def jpeg_bytes(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **options)
    return buffer.getvalue()


def save(image, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


@pytest.fixture
def mixed_folder(tmp_path):
    for index, name in enumerate(GOOD_FILES):
        save(noise_image(seed=index), tmp_path / name)
    (tmp_path / "corrupt.png").write_bytes(np.random.default_rng(1).bytes(300))
    whole_jpeg = jpeg_bytes(noise_image(64, 64))
    (tmp_path / "truncated.jpg").write_bytes(whole_jpeg[: len(whole_jpeg) // 2])
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_keeps_good_files_and_skips_bad_ones_with_reasons(mixed_folder, caplog):
    with caplog.at_level(logging.WARNING):
        dataset = ImageFolderDataset(mixed_folder, 8, 3)
    assert sorted(path.relative_to(mixed_folder).as_posix() for path in dataset.paths) == sorted(GOOD_FILES)
    reasons = {path.name: reason for path, reason in dataset.skipped}
    assert set(reasons) == {"corrupt.png", "truncated.jpg", "empty.jpg"}
    assert "truncated" in reasons["truncated.jpg"]
    assert "empty" in reasons["empty.jpg"]
    assert all(reason and "\n" not in reason for reason in reasons.values())
    assert "3 unreadable" in caplog.text
    assert dataset.describe().endswith(f"{len(GOOD_FILES)} images (3 skipped)")
    for index in range(len(dataset)):
        image = dataset.load(index, torch.Generator().manual_seed(index))
        assert image.shape == (3, 8, 8) and image.dtype == torch.float32
        assert image.min() >= -1 and image.max() <= 1


def test_large_folder_mode_replaces_a_file_that_fails_at_load_time(mixed_folder):
    dataset = ImageFolderDataset(mixed_folder, 8, 3, full_check_limit=0)
    truncated = [path.name for path in dataset.paths].index("truncated.jpg")
    assert [path.name for path, _ in dataset.skipped] == ["corrupt.png", "empty.jpg"]
    replacement = dataset.load(truncated, None)
    assert "truncated.jpg" in [path.name for path, _ in dataset.skipped]
    assert torch.equal(replacement, dataset.load(truncated, None))
    assert torch.equal(replacement, dataset.load((truncated + 1) % len(dataset), None))


def test_file_deleted_after_construction_is_replaced_by_the_next_image(tmp_path):
    for name in ("a.png", "b.png"):
        save(noise_image(seed=len(name)), tmp_path / name)
    dataset = ImageFolderDataset(tmp_path, 8, 3, cache_bytes=0)
    (tmp_path / "a.png").unlink()
    assert torch.equal(dataset.load(0, None), dataset.load(1, None))
    assert [(path.name, reason.split(" (")[0]) for path, reason in dataset.skipped] == [("a.png", "file not found")]
    (tmp_path / "b.png").unlink()
    with pytest.raises(DatasetError, match="can be read any more"):
        dataset.load(1, None)


def test_all_bad_folder_raises_with_folder_count_and_reasons(tmp_path):
    (tmp_path / "one.png").write_bytes(b"not a png at all")
    (tmp_path / "two.jpg").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"all 2 image file\(s\) were rejected") as raised:
        ImageFolderDataset(tmp_path, 8, 3)
    assert str(tmp_path) in str(raised.value) and "two.jpg: empty file" in str(raised.value)


def test_folder_without_image_files_raises(tmp_path):
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(DatasetError, match="No image files"):
        ImageFolderDataset(tmp_path, 8, 3)
    with pytest.raises(DatasetError, match="not a folder"):
        ImageFolderDataset(tmp_path / "readme.txt", 8, 3)


def test_exif_orientation_is_applied(tmp_path):
    stored = np.zeros((16, 32, 3), dtype=np.uint8)  # 32 wide x 16 tall: left half black, right white
    stored[:, 16:] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed rotated 90 degrees clockwise: left half ends up on top
    Image.fromarray(stored).save(tmp_path / "rotated.jpg", quality=95, exif=exif.tobytes())
    assert decode_image(tmp_path / "rotated.jpg").size == (16, 32)
    image = ImageFolderDataset(tmp_path, 16, 1).load(0, None)[0]  # centre crop: rows 8..23 of 32
    assert image[:6].mean() < -0.9 and image[-6:].mean() > 0.9


def test_rgba_is_composited_on_white(tmp_path):
    pixels = np.zeros((8, 8, 4), dtype=np.uint8)
    pixels[:, :4] = (0, 0, 0, 255)  # left: opaque black; right: transparent black
    save(Image.fromarray(pixels), tmp_path / "alpha.png")
    image = ImageFolderDataset(tmp_path, 8, 3).load(0, None)
    assert torch.all(image[:, :, :4] == -1) and torch.all(image[:, :, 4:] == 1)


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 257, 32896, 65535]] * 4, dtype=np.uint16)
    save(Image.fromarray(values), tmp_path / "deep.png")
    image = ImageFolderDataset(tmp_path, 4, 1).load(0, None)[0]
    assert torch.equal(torch.round((image[0] + 1) * 127.5), torch.tensor([0.0, 1.0, 128.0, 255.0]))


def test_decompression_bombs_are_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    save(noise_image(8, 8), tmp_path / "small.png")
    save(noise_image(12, 12), tmp_path / "warns.png")  # over the limit: a warning, turned into a skip
    save(noise_image(32, 32), tmp_path / "bomb.png")  # over twice the limit: Pillow raises
    dataset = ImageFolderDataset(tmp_path, 4, 3)
    assert [path.name for path in dataset.paths] == ["small.png"]
    assert all("decompression bomb" in reason for _, reason in dataset.skipped)


def test_a_large_jpeg_decoded_small_for_training_is_within_the_pixel_limit(tmp_path, monkeypatch):
    """A phone's 108 MP JPEG is decoded at an eighth of its size for training; Pillow's limit is on
    what is decoded. Scaled down here: a limit of 3,000 pixels and 60x60 (3,600) images."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3_000)
    save(noise_image(60, 60), tmp_path / "photo.jpg")
    save(noise_image(60, 60), tmp_path / "drawing.png")  # no reduced decoding: over the limit
    dataset = ImageFolderDataset(tmp_path, 8, 3)
    assert [path.name for path in dataset.paths] == ["photo.jpg"]
    assert dataset.load(0, None).shape == (3, 8, 8)
    assert [(path.name, "decompression bomb" in reason) for path, reason in dataset.skipped] == [("drawing.png", True)]
    with pytest.raises(DatasetError, match="all 2 image file"):  # native crops decode at full size
        ImageFolderDataset(tmp_path, 8, 3, resize_short_side=False)


def test_gif_uses_first_frame(tmp_path):
    frames = [Image.new("L", (8, 8), value) for value in (0, 255)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    assert torch.all(ImageFolderDataset(tmp_path, 8, 1).load(0, None) == -1)


def test_works_without_cache_and_matches_cached(tmp_path):
    save(noise_image(20, 12), tmp_path / "a.png")
    cached = ImageFolderDataset(tmp_path, 8, 3)
    uncached = ImageFolderDataset(tmp_path, 8, 3, cache_bytes=0)
    generator_seed = 5
    assert torch.equal(
        cached.load(0, torch.Generator().manual_seed(generator_seed)),
        uncached.load(0, torch.Generator().manual_seed(generator_seed)),
    )
