"""Finding image files in a folder and decoding one safely.

Which files are images: what Pillow decodes (`IMAGE_EXTENSIONS`; HEIC/HEIF through pi-heif, whose
opener is registered here, AVIF through Pillow's own plugin), and for the photo loader also camera
RAW files (`RAW_EXTENSIONS`, decoded by LibRaw: `engine.denoise.raw_photo`).

Every way a user's file can be bad (empty, truncated, corrupt, not an image at all, or a
decompression bomb over Pillow's default `Image.MAX_IMAGE_PIXELS`) surfaces as one
`ImageLoadError` whose message is a short, one-line reason without the path: the caller knows
the path and decides whether to skip the file or report it.
"""

from __future__ import annotations

import os
import stat
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from pi_heif import register_heif_opener

from engine.errors import ImageLoadError

# Phones' HEIC/HEIF photos, read by Pillow's Image.open everywhere from here on. pi-heif, not
# pillow-heif: it decodes only, so its wheels hold no GPL encoder (x265), only LGPL libheif and
# libde265. Thumbnails, depth maps and auxiliary images are never used: not decoded.
register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".heic", ".heif", ".avif"}
)
# Camera RAW files LibRaw decodes: Adobe DNG, Canon, Nikon, Sony, Fujifilm, Olympus/OM, Panasonic,
# Pentax, Samsung. Only the photo loader reads them (training reads what Pillow decodes).
RAW_EXTENSIONS = frozenset(
    {".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".raf", ".orf", ".rw2", ".pef", ".srw"}
)
PHOTO_EXTENSIONS = IMAGE_EXTENSIONS | RAW_EXTENSIONS  # what `engine denoise` and the Denoise page look for

# Pillow's decoders raise many exception types on malformed input; all of them mean "bad file".
_MALFORMED_FILE_ERRORS = (
    OSError,
    ValueError,
    TypeError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    struct.error,
    ZeroDivisionError,
    RuntimeError,  # pi-heif: libheif's decoding errors, its security limits included
)


def find_image_files(folder: Path, extensions: frozenset[str] = IMAGE_EXTENSIONS) -> list[Path]:
    """Files under `folder` (recursively) with one of `extensions`, any case, in a stable order."""
    found = []
    for directory, _, names in os.walk(folder):
        found.extend(Path(directory, name) for name in names if Path(name).suffix.lower() in extensions)
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())


def decode_image(path: Path, min_size: int | None = None) -> Image.Image:
    """Fully decoded first frame of `path`, EXIF orientation applied, still in its file's mode.

    `min_size` lets JPEGs decode at a reduced DCT scale (much faster for camera photos) as long
    as both sides stay at least `min_size`; other formats ignore it.
    """
    with _reading(path), Image.open(path) as image:
        _reduce_and_check_size(image, min_size)
        return ImageOps.exif_transpose(image)


def check_image_header(path: Path, min_size: int | None = None) -> None:
    """Cheap check (header only) that `path` is an image Pillow can open and, decoded as
    `decode_image(path, min_size)` would decode it, within Pillow's pixel limit."""
    with _reading(path), Image.open(path) as image:
        _reduce_and_check_size(image, min_size)


def _reduce_and_check_size(image: Image.Image, min_size: int | None) -> None:
    """Pillow's pixel limit guards memory, so it applies to what is decoded: a 108 MP phone JPEG,
    decoded at an eighth of its size for training, is 1.7 MP and fine. (Pillow's own hard limit,
    twice the soft one, still refuses any file when it is opened.)"""
    if min_size is not None:
        image.draft(None, (min_size, min_size))
    if image.width * image.height > Image.MAX_IMAGE_PIXELS:
        raise ImageLoadError(_TOO_MANY_PIXELS.format(limit=Image.MAX_IMAGE_PIXELS))


def check_regular_file(path: Path) -> None:
    """Refuse, before anything opens it, what is not a non-empty regular file: opening a named pipe
    would block forever, and a device or an empty file has nothing to decode."""
    try:
        status = path.stat()
    except FileNotFoundError as error:  # also a link to nowhere
        raise ImageLoadError("file not found") from error
    except OSError as error:  # unreadable, or vanished since the folder was scanned
        raise ImageLoadError(f"cannot open the file ({error.strerror})") from error
    if stat.S_ISDIR(status.st_mode):
        raise ImageLoadError("a folder, not an image file")
    if not stat.S_ISREG(status.st_mode):
        raise ImageLoadError("not a regular file (a pipe, socket or device)")
    if status.st_size == 0:
        raise ImageLoadError("empty file (0 bytes)")


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Pillow's soft pixel limit is checked on the decoded size instead (`_reduce_and_check_size`);
    see `check_regular_file`."""
    check_regular_file(path)
    with image_reading_errors():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield


_TOO_MANY_PIXELS = "too many pixels for Pillow's safety limit of {limit:,} (possible decompression bomb); downscale it"


def too_many_pixels(width: int, height: int, limit: int) -> str:
    """The photo loader's refusal of a `width` x `height` image over its own `limit`."""
    return (
        f"{width} x {height} pixels is more than the limit of {limit:,} pixels "
        "(possibly a decompression bomb); downscale it first"
    )


@contextmanager
def image_reading_errors() -> Iterator[None]:
    """Turn every way Pillow can fail on a bad file into one ImageLoadError with a specific,
    one-line reason (without the path, which the caller knows). Shared by the training datasets
    and the photo reader so a bad file reads the same everywhere."""
    try:
        yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageLoadError(_TOO_MANY_PIXELS.format(limit=Image.MAX_IMAGE_PIXELS)) from error
    except FileNotFoundError as error:
        raise ImageLoadError("file not found") from error
    except PermissionError as error:
        raise ImageLoadError(f"cannot open the file ({error.strerror})") from error
    except UnidentifiedImageError as error:
        raise ImageLoadError("not an image file (corrupt, or a format Pillow cannot read)") from error
    except _MALFORMED_FILE_ERRORS as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "security limit" in detail.lower():  # libheif's allocation limits, reached by a header's claims
            raise ImageLoadError(f"too many pixels for the HEIF decoder's safety limits ({detail})") from error
        if "truncated" in detail or "end of file" in detail or isinstance(error, EOFError):
            raise ImageLoadError(f"truncated file, the end of the image data is missing ({detail})") from error
        raise ImageLoadError(f"corrupt image data ({detail})") from error
