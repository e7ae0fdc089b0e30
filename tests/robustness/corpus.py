"""A generated corpus of hostile image files, each with what every loader must do with it.

`build_corpus(folder)` writes every case into `folder` and returns the cases. A case is either
good (`size` is the upright (width, height) the photo loader must return) or bad (`reason` is a
regular expression the one-line error must match). All files are tiny except in their headers,
so the whole corpus is built and read in well under a second. Camera RAW files (`camera_raw`)
are for the photo loader only: training folders do not look at RAW extensions.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from photo_formats import avif_bytes, dng_bytes, dng_claiming_size, heic_bytes, heif_claiming_size, sensor_gradient

ORIENTATION = 0x0112
LONG_NAME_BYTES = 250  # close to the usual 255-byte limit of a file name


@dataclass(frozen=True)
class Case:
    name: str  # file name written in the corpus folder (str; may hold surrogate escapes)
    make: Callable[[Path], None]
    size: tuple[int, int] | None = None  # good: upright (width, height)
    reason: str | None = None  # bad: regex of the one-line error
    photo_only_reason: str | None = None  # refused by the photo loader only (training reads any Pillow format)
    file: bool = True  # False: a folder, which folder scans walk into instead of reading
    camera_raw: bool = False  # a RAW extension: only the photo loader reads it

    @property
    def id(self) -> str:
        """A short ASCII test id."""
        return ascii(self.name)[1:-1][:40]

    @property
    def good(self) -> bool:
        return self.reason is None


def _pixels(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def _encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def _rgb(height: int = 24, width: int = 20) -> Image.Image:
    return Image.fromarray(_pixels(height, width))


def _write(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _save(image_factory: Callable[[], Image.Image], format: str, **options) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(_encoded(image_factory(), format, **options))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` in its header; its pixel data is a few bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b"")


def png_with_text_bomb() -> bytes:
    """A valid 4x4 PNG with a zTXt chunk that inflates to 64 MB (Pillow caps text at 1 MB)."""
    plain = _encoded(_rgb(4, 4), "PNG")
    bomb = b"Comment\0\0" + zlib.compress(b"\0" * (64 << 20), 9)
    return plain[:33] + _chunk(b"zTXt", bomb) + plain[33:]


def _flipped(data: bytes, start: int, count: int) -> bytes:
    """`data` with `count` bytes from `start` inverted (a bit-rot or transfer error)."""
    middle = bytes(b ^ 0xFF for b in data[start : start + count])
    return data[:start] + middle + data[start + count :]


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _exif_rotated(orientation: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        path.write_bytes(_encoded(_rgb(10, 30), "JPEG", exif=exif))

    return make


def _animated(format: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        frames = [Image.fromarray(_pixels(16, 12, seed=i)) for i in range(3)]
        if format == "GIF":
            frames = [f.convert("P") for f in frames]
        path.write_bytes(_encoded(frames[0], format, save_all=True, append_images=frames[1:], duration=50, loop=0))

    return make


def _palette_with_transparency(path: Path) -> None:
    image = Image.new("P", (9, 7), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.putpixel((3, 3), 1)
    image.save(path, transparency=0)


def _sixteen_bit_grey(path: Path) -> None:
    Image.fromarray(np.random.default_rng(1).integers(0, 65536, (11, 13), dtype=np.uint16)).save(path)


def _sixteen_bit_rgb_png(path: Path) -> None:
    """A 16-bit-per-channel RGB PNG written by hand (Pillow cannot write one)."""
    width, height = 6, 5
    rows = b"".join(b"\0" + np.random.default_rng(2).integers(0, 65536, width * 3, dtype=np.uint16).astype(">u2").tobytes()
                    for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")
    path.write_bytes(data)


def _fifo(path: Path) -> None:
    os.mkfifo(path)  # opening it for reading would block forever


def _dangling_link(path: Path) -> None:
    path.symlink_to(path.parent / "no-such-target.png")


def _folder(path: Path) -> None:
    path.mkdir()


PNG = _encoded(_rgb(), "PNG")
JPEG = _encoded(_rgb(), "JPEG", quality=90)
WEBP = _encoded(_rgb(), "WEBP", quality=90)
TIFF = _encoded(_rgb(), "TIFF")
GIF = _encoded(_rgb().convert("P"), "GIF")
HEIC = heic_bytes(_rgb(), quality=90)
HEIC_64 = heic_bytes(_rgb(64, 64), quality=50)  # sides of 64: its coded size is its displayed size
AVIF = avif_bytes(_rgb(), quality=90)
DNG = dng_bytes(sensor_gradient(24, 32))
TRUNCATED = "truncated|corrupt"
CORRUPT = "corrupt|not an image|truncated"
BOMB = "too many pixels|more than the limit"
LONG_STEM = "x" * (LONG_NAME_BYTES - len(".png"))

CASES: list[Case] = [
    # Broken encodings, one or more per format.
    Case("truncated.png", _write(_half(PNG)), reason=TRUNCATED),
    Case("truncated.jpg", _write(_half(JPEG)), reason=TRUNCATED),
    Case("truncated.webp", _write(_half(WEBP)), reason=CORRUPT),
    Case("truncated.tif", _write(_half(TIFF)), reason=CORRUPT),
    Case("truncated.gif", _write(_half(GIF)), reason=CORRUPT),
    Case("truncated.heic", _write(_half(HEIC)), reason=TRUNCATED),
    Case("truncated.avif", _write(_half(AVIF)), reason=CORRUPT),
    Case("truncated.dng", _write(_half(DNG)), reason=TRUNCATED, camera_raw=True),
    Case("header-only.png", _write(PNG[:40]), reason=CORRUPT),
    Case("corrupt-data.png", _write(_flipped(PNG, 60, 40)), reason=CORRUPT),
    Case("corrupt-header.jpg", _write(_flipped(JPEG, 2, 200)), reason=CORRUPT),
    Case("corrupt.webp", _write(_flipped(WEBP, 20, 40)), reason=CORRUPT),
    Case("corrupt-header.heic", _write(_flipped(HEIC, 20, 40)), reason=CORRUPT),
    Case("corrupt-header.avif", _write(_flipped(AVIF, 20, 40)), reason=CORRUPT),
    Case("corrupt-ifd.tif", _write(TIFF[:4] + b"\xff\xff\xff\x7f" + TIFF[8:]), reason=CORRUPT),
    Case("soi-eoi-only.jpg", _write(b"\xff\xd8\xff\xd9"), reason=CORRUPT),
    Case("random-bytes.png", _write(np.random.default_rng(3).bytes(2000)), reason="not an image"),
    # Empty and not-an-image files, wrong extensions.
    Case("zero-bytes.png", _write(b""), reason="empty file"),
    Case("zero-bytes.jpg", _write(b""), reason="empty file"),
    Case("text.jpg", _write(b"Dear diary, today I renamed a text file.\n" * 20), reason="not an image"),
    Case("page.png", _write(b"<!DOCTYPE html><html><body>404 Not Found</body></html>"), reason="not an image"),
    Case("drawing.webp", _write(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
         reason="not an image"),
    Case("text.heic", _write(b"Dear diary, today I renamed a text file.\n" * 20), reason="not an image"),
    Case("text.dng", _write(b"Dear diary, today I renamed a text file.\n" * 20), reason="not an image",
         camera_raw=True),
    Case("png-named.jpg", _write(PNG), size=(20, 24)),
    Case("jpeg-named.png", _write(JPEG), size=(20, 24)),
    Case("heic-named.jpg", _write(HEIC), size=(20, 24)),
    Case("avif-named.png", _write(AVIF), size=(20, 24)),
    Case("jpeg-named.dng", _write(JPEG), size=(20, 24), camera_raw=True),
    Case("tiff-named.nef", _write(TIFF), reason="a camera RAW file LibRaw cannot read", camera_raw=True),
    Case("ppm-named.png", _save(_rgb, "PPM"), size=(20, 24), photo_only_reason="PPM images are not supported"),
    # Decompression bombs and extreme sizes.
    Case("bomb-40000x40000.png", _write(png_header_only(40000, 40000)), reason=BOMB),
    Case("bomb-12000x12000.png", _write(png_header_only(12000, 12000)), reason=BOMB),  # Pillow only warns here
    Case("bomb-100000x2000.png", _write(png_header_only(100_000, 2000)), reason=BOMB),
    Case("bomb-12000x12000.heic", _write(heif_claiming_size(HEIC_64, 12000, 12000)), reason=BOMB),
    Case("bomb-12000x12000.avif", _write(heif_claiming_size(AVIF, 12000, 12000)), reason=BOMB),
    Case("bomb-12000x12000.dng", _write(dng_claiming_size(12000, 12000)), reason=BOMB, camera_raw=True),
    Case("bomb-text-chunk.png", _write(png_with_text_bomb()), reason="corrupt|too large|Too Large"),
    Case("zero-width.png", _write(png_header_only(0, 10)), reason=CORRUPT),
    Case("one-pixel.png", _save(lambda: _rgb(1, 1), "PNG"), size=(1, 1)),
    Case("one-pixel.jpg", _save(lambda: _rgb(1, 1), "JPEG"), size=(1, 1)),
    Case("one-row.png", _save(lambda: _rgb(1, 300), "PNG"), size=(300, 1)),
    Case("one-column.png", _save(lambda: _rgb(300, 1), "PNG"), size=(1, 300)),
    # Unusual pixel modes.
    Case("sixteen-bit-grey.png", _sixteen_bit_grey, size=(13, 11)),
    Case("sixteen-bit-grey.tif", _sixteen_bit_grey, size=(13, 11)),
    Case("sixteen-bit-rgb.png", _sixteen_bit_rgb_png, size=(6, 5)),
    Case("cmyk.jpg", _save(lambda: _rgb().convert("CMYK"), "JPEG"), size=(20, 24)),
    Case("cmyk.tif", _save(lambda: _rgb().convert("CMYK"), "TIFF"), size=(20, 24)),
    Case("float32.tif", _save(lambda: Image.fromarray(np.ones((4, 4), np.float32)), "TIFF"),
         reason="floating-point"),
    Case("palette-transparent.png", _palette_with_transparency, size=(9, 7)),
    Case("palette-transparent.gif", _palette_with_transparency, size=(9, 7)),
    Case("bilevel.png", _save(lambda: _rgb().convert("1"), "PNG"), size=(20, 24)),
    Case("grey-alpha.png", _save(lambda: _rgb().convert("LA"), "PNG"), size=(20, 24)),
    Case("rgba.webp", _save(lambda: _rgb().convert("RGBA"), "WEBP", lossless=True), size=(20, 24)),
    # Phone and camera photos.
    Case("phone.heic", _write(HEIC), size=(20, 24)),
    Case("tablet.avif", _write(AVIF), size=(20, 24)),
    Case("camera.dng", _write(DNG), size=(32, 24), camera_raw=True),
    Case("portrait.nef", _write(dng_bytes(sensor_gradient(24, 32), orientation=6)), size=(24, 32), camera_raw=True),
    # Animations: the first frame is used.
    Case("animated.gif", _animated("GIF"), size=(12, 16)),
    Case("animated.webp", _animated("WEBP"), size=(12, 16)),
    # EXIF orientation: pixels come out upright.
    Case("exif-rotate-90.jpg", _exif_rotated(6), size=(10, 30)),
    Case("exif-rotate-270.jpg", _exif_rotated(8), size=(10, 30)),
    Case("exif-mirrored.jpg", _exif_rotated(2), size=(30, 10)),
    Case("exif-orientation-99.jpg", _exif_rotated(99), size=(30, 10)),
    # File names and things that are not regular files.
    Case("caf\udce9-latin1.png", _write(PNG), size=(20, 24)),
    Case("日本語 ünïcødé name.png", _write(PNG), size=(20, 24)),
    Case(LONG_STEM + ".png", _write(PNG), size=(20, 24)),
    Case("caf\udce9-latin1-broken.jpg", _write(_half(JPEG)), reason=TRUNCATED),
    Case("fifo.png", _fifo, reason="not a regular file"),
    Case("device-link.png", lambda path: path.symlink_to("/dev/zero"), reason="not a regular file"),
    Case("folder.png", _folder, reason="a folder", file=False),
    Case("dangling-link.png", _dangling_link, reason="file not found"),
]


def build_corpus(folder: Path, cases: list[Case] = CASES) -> list[Case]:
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        case.make(folder / case.name)
    return cases


def training_cases() -> list[Case]:
    """The cases the training loader reads: all but the camera RAW files."""
    return [case for case in CASES if not case.camera_raw]


def good_cases() -> list[Case]:
    """Good files a training folder scan finds."""
    return [case for case in training_cases() if case.good]


def bad_cases() -> list[Case]:
    """Bad files a training folder scan finds (the folder case is reached by naming it only)."""
    return [case for case in training_cases() if not case.good and case.file]
