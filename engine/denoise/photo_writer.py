"""Writing a denoised `Photo` the way its source was: same pixel mode, bit depth, alpha and
metadata, through an atomic write, and never over the original or any existing file.

What a target format cannot hold is adapted, not refused: JPEG and BMP keep no alpha (the photo
is composited on white, as the training data rules do; Pillow writes BMP alpha in a form most
readers, Pillow included, ignore), JPEG/WebP/BMP/AVIF have no 16-bit (written 8-bit), WebP has no
grey (written as three equal channels). WebP holds at most 16,383 pixels a side: a larger photo
is refused with that limit named, before anything is written.
16-bit photos stay 16-bit in PNG and TIFF: grey through Pillow, colour (only camera RAW files are
read so) as TIFF only, through tifffile, Pillow having no 16-bit RGB mode; a 16-bit colour photo
saved as PNG is written 8-bit. WebP uses quality 95, AVIF quality 90 and JPEG the quality asked
for (default 95); JPEG keeps full-resolution colour (4:4:4) at every quality, since halving
chroma would throw away detail the denoiser just kept (AVIF keeps libavif's 4:2:0, which every
AVIF decoder reads; its 4:4:4 needs the AV1 "High" profile, which hardware decoders lack).

Formats that cannot be written get another by default (`OUTPUT_SUFFIX_FOR_SOURCE`): HEIC/HEIF
becomes AVIF (Pillow writes no HEIC; AVIF is the same kind of modern, compact, lossy photo format,
opened by current browsers, Windows, macOS, iOS and Android), a camera RAW becomes a 16-bit TIFF
(nothing writes RAW; TIFF keeps the 16 bits), a GIF becomes PNG.

The CLI and the GUI name copies alike: <stem>-denoised.<ext> (`preferred_output_path`), and where
that exists <stem>-denoised-2.<ext>, -3, ... (`unused_path`; `output_path_for` does both).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, features

from engine.atomic import atomic_path
from engine.data.image_files import RAW_EXTENSIONS
from engine.denoise.packed_photo import PackedPhoto, as_photo, quantize
from engine.denoise.photo import Photo
from engine.denoise.photo_metadata import save_options
from engine.errors import ConfigError
from engine.paths import NAME_MAX_BYTES, shorten_name

DENOISED_SUFFIX = "-denoised"  # what a copy beside its original is called: photo-denoised.jpg

# User-facing name -> (Pillow format, extension of new files).
WRITE_FORMATS = {
    "png": ("PNG", ".png"),
    "jpeg": ("JPEG", ".jpg"),
    "webp": ("WEBP", ".webp"),
    "tiff": ("TIFF", ".tif"),
    "bmp": ("BMP", ".bmp"),
    "avif": ("AVIF", ".avif"),
}
FORMAT_ALIASES = {"jpg": "jpeg", "tif": "tiff"}
FORMAT_BY_SUFFIX = {
    ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".jfif": "JPEG",
    ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF", ".bmp": "BMP", ".avif": "AVIF",
}
# Source suffix -> suffix of its copy, for sources in a format that cannot be written (see above).
OUTPUT_SUFFIX_FOR_SOURCE = {".heic": ".avif", ".heif": ".avif"} | dict.fromkeys(RAW_EXTENSIONS, ".tif")
SIXTEEN_BIT_FORMATS = ("PNG", "TIFF")
NO_ALPHA_FORMATS = ("JPEG", "BMP")
WEBP_MAX_SIDE = 16_383
DEFAULT_JPEG_QUALITY = 95
JPEG_QUALITY_RANGE = (1, 100)
ENCODER_OPTIONS = {
    "JPEG": {"subsampling": 0},  # 4:4:4; the quality is the caller's
    "WEBP": {"quality": 95},
    "TIFF": {"compression": "tiff_lzw"},
    "AVIF": {"quality": 90},
}


def write_photo(
    photo: Photo | PackedPhoto, path: str | Path, format: str | None = None, jpeg_quality: int = DEFAULT_JPEG_QUALITY
) -> Path:
    """Write `photo` to `path` atomically (format from `format` or else the suffix) and return the
    path. Refuses, with ConfigError, to write over `photo.source`: a denoised result keeps its
    source so that the original can never be replaced by accident. A PackedPhoto is unpacked
    only once the checks have passed."""
    path = Path(path).expanduser()
    check_jpeg_quality(jpeg_quality)
    if photo.source is not None and _same_file(path, photo.source):
        raise ConfigError(f"refusing to write over the original photo {path}; choose another name or folder")
    pil_format = _pil_format(format) if format is not None else _format_for_suffix(path)
    height, width = photo.pixels.shape[:2]
    if pil_format == "WEBP" and max(height, width) > WEBP_MAX_SIDE:
        raise ConfigError(f"WebP holds at most {WEBP_MAX_SIDE:,} pixels a side and this photo is {width:,}x{height:,}; "
                          "save it as PNG, TIFF or JPEG")
    if pil_format == "AVIF" and not features.check("avif"):
        raise ConfigError("this installation's Pillow cannot write AVIF; save it as PNG, JPEG, WebP or TIFF")
    save = _saver(as_photo(photo), pil_format, jpeg_quality)
    with atomic_path(path) as temp:
        save(temp)
    return path


def check_jpeg_quality(quality: int) -> None:
    """ConfigError unless JPEG can be written at `quality` (a whole number from 1 to 100)."""
    low, high = JPEG_QUALITY_RANGE
    if isinstance(quality, bool) or not isinstance(quality, int) or not low <= quality <= high:
        raise ConfigError(f"JPEG quality must be a whole number from {low} to {high}, got {quality!r}")


def preferred_output_path(
    source: Path, out_dir: Path | None = None, suffix: str = DENOISED_SUFFIX, format: str | None = None
) -> Path:
    """The name the denoised copy of `source` should have: `out_dir` (default: beside the source)
    / stem + suffix + extension (of `format`, else the source's, else `OUTPUT_SUFFIX_FOR_SOURCE`'s;
    GIF and unknown suffixes become .png). It may exist already: `output_path_for` gives the name
    actually free."""
    source = Path(source)
    if format is not None:
        extension = WRITE_FORMATS[_format_key(format)][1]
    elif source.suffix.lower() in FORMAT_BY_SUFFIX:
        extension = source.suffix
    else:
        extension = OUTPUT_SUFFIX_FOR_SOURCE.get(source.suffix.lower(), ".png")
    folder = Path(out_dir) if out_dir is not None else source.parent
    room = NAME_MAX_BYTES - len(os.fsencode(f"{suffix}-99{extension}"))  # a long stem is shortened, not the suffix
    return folder / (shorten_name(source.stem, room) + suffix + extension)


def output_path_for(
    source: Path, out_dir: Path | None = None, suffix: str = DENOISED_SUFFIX, format: str | None = None
) -> Path:
    """Where the denoised copy of `source` goes: its `preferred_output_path`, or that name with
    -2, -3, ... where it exists. Never the source itself and never an existing file."""
    return unused_path(preferred_output_path(source, out_dir, suffix, format), avoid=source)


def is_denoised_copy(path: Path, suffix: str = DENOISED_SUFFIX) -> bool:
    """Whether `path` is named like a copy `output_path_for` made with `suffix` (stem + suffix,
    or + suffix-N), or its trajectory animation: a folder denoised a second time must not denoise
    its earlier results too."""
    pattern = re.escape(suffix) + r"(-\d+)?(-trajectory(-\d+)?)?$"
    return bool(suffix) and re.search(pattern, Path(path).stem) is not None


def unused_path(wanted: Path, avoid: Path | None = None) -> Path:
    """`wanted`, or its stem + -2, -3, ...: the first name where nothing exists and that is not
    `avoid`; the stem is shortened where the name would be too long for the file system.
    (Another process could still take it before we write.)"""
    number = 1
    while True:
        ending = f"-{number}{wanted.suffix}" if number > 1 else wanted.suffix
        candidate = wanted.with_name(shorten_name(wanted.stem, NAME_MAX_BYTES - len(os.fsencode(ending))) + ending)
        if not candidate.exists() and not (avoid is not None and _same_file(candidate, avoid)):
            return candidate
        number += 1


def _saver(photo: Photo, pil_format: str, jpeg_quality: int) -> Callable[[Path], None]:
    """What writes `photo` as `pil_format` to a path, made before the file is opened."""
    if pil_format == "TIFF" and photo.bit_depth == 16 and photo.channels == 3 and photo.alpha is None:
        # Deflate with a horizontal predictor: tifffile's LZW encoder needs the imagecodecs package.
        return partial(tifffile.imwrite, data=quantize(photo.pixels, np.uint16), photometric="rgb",
                       compression="zlib", predictor=True, metadata=None)
    image, keep_icc = _to_image(photo, pil_format)
    options = ENCODER_OPTIONS.get(pil_format, {}) | save_options(photo.info, pil_format, keep_icc)
    if pil_format == "JPEG":
        options["quality"] = jpeg_quality
    return partial(image.save, format=pil_format, **options)


def _to_image(photo: Photo, pil_format: str) -> tuple[Image.Image, bool]:
    """The Pillow image to save, and whether the photo's ICC profile still fits it."""
    pixels, alpha = photo.pixels, photo.alpha
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3):
        raise ConfigError(f"a photo has 1 or 3 colour channels, got an array of shape {pixels.shape}")
    keep_icc = True
    if alpha is not None and pil_format in NO_ALPHA_FORMATS:
        pixels, alpha = pixels * alpha[:, :, None] + (1 - alpha[:, :, None]), None
    grey = pixels.shape[2] == 1
    if grey and pil_format == "WEBP":
        pixels, keep_icc = np.repeat(pixels, 3, axis=2), False
    sixteen_bit = photo.bit_depth == 16 and pil_format in SIXTEEN_BIT_FORMATS and grey and alpha is None
    if sixteen_bit:
        return Image.fromarray(quantize(pixels[:, :, 0], np.uint16)), keep_icc
    planes = pixels if alpha is None else np.concatenate([pixels, alpha[:, :, None]], axis=2)
    array = quantize(planes, np.uint8)
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array), keep_icc


def _format_key(name: str) -> str:
    key = FORMAT_ALIASES.get(name.lower(), name.lower())
    if key not in WRITE_FORMATS:
        raise ConfigError(f"unknown output format {name!r}; choose {', '.join(WRITE_FORMATS)}")
    return key


def _pil_format(name: str) -> str:
    return WRITE_FORMATS[_format_key(name)][0]


def _format_for_suffix(path: Path) -> str:
    try:
        return FORMAT_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise ConfigError(
            f"cannot tell the image format from {path.name!r}; use .png, .jpg, .webp, .tif, .bmp or .avif"
        ) from None


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.expanduser().resolve() == b.expanduser().resolve()
