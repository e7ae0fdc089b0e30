"""A photo as the denoiser sees it, and `read_photo`, which decodes any supported file into one.

A `Photo` keeps everything needed to write the result back the way the user gave it: pixels in
[0, 1] (so 8- and 16-bit files share one code path), the alpha channel set aside (the network
never sees it and it comes back untouched), the bit depth, and the metadata worth carrying over.

Pixel-mode rules, applied to the first frame after EXIF orientation:

* '1', 'L' -> grey, 8-bit; 'LA' -> grey + alpha.
* 'I;16*' -> grey, 16-bit. 'I' (32-bit integer, how some TIFFs arrive) is clipped to 0..65535
  and treated as 16-bit. 'F' (32-bit float) is refused: its value range is unknown.
* 'RGB', 'RGBX', 'P' (palette) -> RGB, 8-bit; with transparency ('RGBA', 'RGBa', 'PA', or a
  palette/grey/RGB colour key as in most transparent GIFs) -> RGB or grey + alpha.
* 'CMYK', 'YCbCr', 'LAB', 'HSV' -> sRGB through the embedded ICC profile where the file has a
  readable one, else through Pillow's formulas (`to_rgb`). The profile is then dropped, because
  it describes the old colour space; the result is written as (untagged, so sRGB) RGB.
* 16-bit colour PNG/TIFF files are decoded by Pillow at 8 bits per channel, so they come back as
  8-bit RGB: Pillow has no 16-bit RGB mode. HEIC/HEIF (pi-heif) and AVIF (Pillow) come as 8-bit
  RGB too, a 10-bit HDR one included.
* Camera RAW files (by extension, `RAW_EXTENSIONS`) are developed by LibRaw into 16-bit RGB
  (`raw_photo`), the one 16-bit colour kind. No metadata is carried from them. A file with a RAW
  extension that LibRaw does not recognise is read by Pillow (a JPEG renamed .nef), unless it is a
  TIFF: a TIFF-based RAW of a camera LibRaw does not know would come out as its small preview.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from engine.data.image_files import (
    PHOTO_EXTENSIONS,
    RAW_EXTENSIONS,
    check_regular_file,
    find_image_files,
    image_reading_errors,
    too_many_pixels,
)
from engine.data.pixel_modes import SIXTEEN_BIT_GREY_MODES, to_rgb
from engine.denoise.jpeg_compression import is_lossy_jpeg
from engine.denoise.photo_metadata import read_metadata
from engine.denoise.raw_photo import read_raw_pixels
from engine.errors import ImageLoadError

READABLE_FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "TIFF", "BMP", "GIF", "HEIF", "AVIF")
RAW_FORMAT = "RAW"  # `Photo.format` of a camera RAW file
DEFAULT_MAX_PIXELS = 120_000_000
GREY_MODES = ("1", "L", "LA")
RGB_MODES = ("RGB", "RGBA", "RGBa", "RGBX", "P", "PA")


@dataclass
class Photo:
    """pixels (H, W, C) float32 in [0, 1], C = 1 (grey) or 3 (RGB), alpha not included;
    alpha (H, W) float32 in [0, 1] or None; bit_depth 8 or 16; format is the PIL name of the
    source format; info holds what `write_photo` carries over where the target format allows
    (exif bytes with orientation 1, icc_profile, text (PNG text chunks), dpi). lossy_jpeg: read
    from a JPEG whose compression removed part of the noise (`jpeg_compression`), which the
    noise estimate allows for."""

    pixels: np.ndarray
    alpha: np.ndarray | None
    bit_depth: int
    source: Path | None
    format: str
    info: dict
    lossy_jpeg: bool = False

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), Pillow's order."""
        return self.pixels.shape[1], self.pixels.shape[0]

    @property
    def channels(self) -> int:
        return self.pixels.shape[2]


def read_photo(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Photo:
    """Decode `path` (PNG, JPEG, WebP, TIFF, BMP, HEIC/HEIF, AVIF, camera RAW, or a GIF's first
    frame) by the module's rules.

    Raises ImageLoadError with a one-line reason (without the path, which the caller knows): not
    found, empty, not an image, unsupported format, truncated, corrupt, or more than `max_pixels`
    pixels (checked from the header before any pixel is decoded, so a decompression bomb costs
    nothing).
    """
    path = Path(path).expanduser()
    check_regular_file(path)
    camera_raw = path.suffix.lower() in RAW_EXTENSIONS
    if camera_raw:
        developed = read_raw_pixels(path, max_pixels)
        if developed is not None:
            return Photo(developed.astype(np.float32) / 65535, None, 16, path, RAW_FORMAT, {})
    with image_reading_errors(), warnings.catch_warnings():
        # Our own max_pixels check replaces Pillow's global limit; its hard error still applies above 2x.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            if image.format not in READABLE_FORMATS:
                raise ImageLoadError(
                    f"{image.format} images are not supported; use PNG, JPEG, WebP, TIFF, BMP, GIF, HEIC, AVIF or RAW"
                )
            if camera_raw and image.format == "TIFF":
                raise ImageLoadError("a camera RAW file LibRaw cannot read (a camera newer than this LibRaw?)")
            width, height = image.size
            if width * height > max_pixels:
                raise ImageLoadError(too_many_pixels(width, height, max_pixels))
            image.load()
            source_format = "JPEG" if image.format == "MPO" else image.format
            upright = ImageOps.exif_transpose(image)
            pixels, alpha, bit_depth, same_colour_space = _split_channels(upright)
            info = read_metadata(image, upright, keep_icc=same_colour_space)
            lossy = is_lossy_jpeg(image)
    return Photo(pixels, alpha, bit_depth, path, source_format, info, lossy)


def find_photos(folder: Path) -> list[Path]:
    """The files under `folder` (recursively) that `read_photo` reads, by extension
    (`PHOTO_EXTENSIONS`), in a stable order: what a folder given to the denoiser holds."""
    return find_image_files(folder, PHOTO_EXTENSIONS)


def _split_channels(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None, int, bool]:
    """(pixels, alpha, bit depth, whether the colour space was kept) by the module's mode rules."""
    mode = image.mode
    if mode == "F":
        raise ImageLoadError("32-bit floating-point images are not supported; save it as 8 or 16 bit")
    if mode in SIXTEEN_BIT_GREY_MODES:
        values = np.clip(np.asarray(image, dtype=np.float32), 0, 65535) / 65535
        return values[:, :, None], None, 16, True
    same_colour_space = mode in GREY_MODES or mode in RGB_MODES
    transparent = image.has_transparency_data
    if mode in GREY_MODES:
        target = "LA" if transparent else "L"
    else:
        target = "RGBA" if transparent and same_colour_space else "RGB"
    try:
        image = image.convert(target) if same_colour_space else to_rgb(image)
    except ValueError as error:
        raise ImageLoadError(f"unsupported pixel mode {mode!r} ({error})") from error
    array = np.asarray(image, dtype=np.float32) / 255
    if array.ndim == 2:
        array = array[:, :, None]
    if image.mode in ("LA", "RGBA"):
        return np.ascontiguousarray(array[:, :, :-1]), np.ascontiguousarray(array[:, :, -1]), 8, same_colour_space
    return array, None, 8, same_colour_space
