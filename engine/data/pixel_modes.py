"""Bring any decoded image to the 8-bit grey ('L') or RGB mode a dataset was asked for.

The rules, applied in this order:

1. 16-bit and 32-bit integer grey ('I;16', 'I;16B', 'I;16L', 'I') is taken as 0..65535 and scaled
   to 0..255 by /257 with rounding, so white stays white and the tonal range is kept (clipping to
   255 would turn almost every pixel white). 32-bit float ('F') is rejected: its range is unknown.
2. Anything with transparency (RGBA, LA, PA, premultiplied RGBa/La, or a palette / grey / RGB
   image with a transparent colour key, such as most transparent GIFs) is composited on WHITE.
   White rather than black because transparent areas of icons, emoji and scanned drawings are
   meant to be paper-coloured; black would teach the model a dark halo.
3. A colour space other than RGB (CMYK, YCbCr, LAB, HSV) goes to sRGB through the file's
   embedded ICC profile where it has a readable one, else through Pillow's formulas (`to_rgb`);
   every other mode (palette 'P', 'RGBX', bilevel '1', ...) is converted by Pillow.
4. channels=3 keeps RGB (grey becomes three equal channels); channels=1 takes the luminance
   (ITU-R 601-2: L = 0.299 R + 0.587 G + 0.114 B).

`image_from_array` turns a uint8 array (H, W) or (H, W, C) with C in 1..4 into the matching
Pillow mode (L, LA, RGB, RGBA) so array datasets follow exactly the same rules.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageCms

from engine.errors import ImageLoadError

SIXTEEN_BIT_GREY_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")
ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
OTHER_COLOUR_SPACE_MODES = ("CMYK", "YCbCr", "LAB", "HSV")
MODE_BY_CHANNEL_COUNT = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
WHITE = 255


def to_channels(image: Image.Image, channels: int) -> Image.Image:
    """8-bit 'L' (channels=1) or 'RGB' (channels=3) version of `image`, by the module's rules."""
    if image.mode in SIXTEEN_BIT_GREY_MODES:
        image = _sixteen_bit_grey_to_eight_bit(image)
    elif image.mode == "F":
        raise ImageLoadError("32-bit floating-point pixels are not supported; save as 8- or 16-bit")
    if image.mode in ALPHA_MODES or "transparency" in image.info:
        image = _composite_on_white(image)
    target = "L" if channels == 1 else "RGB"
    try:
        if image.mode in OTHER_COLOUR_SPACE_MODES:
            image = to_rgb(image)
        elif image.mode not in ("1", "L", "RGB"):
            image = image.convert("RGB")
        return image if image.mode == target else image.convert(target)
    except ValueError as error:
        raise ImageLoadError(f"unsupported pixel mode {image.mode!r} ({error})") from error


def to_rgb(image: Image.Image) -> Image.Image:
    """sRGB version of an image in another colour space (CMYK, YCbCr, LAB, HSV).

    The embedded ICC profile decides the colours where there is one: a print CMYK file's profile
    is the only record of what its inks look like, and Pillow's formula (R = 255 - C - K, ...)
    turns such files too bright and too saturated. The profile's own rendering intent is used, as
    its maker chose it. A profile that cannot be read or does not fit the mode falls back to the
    formula, as browsers do: a photo in slightly wrong colours beats a refused one. Raises
    ValueError where Pillow cannot convert the mode at all."""
    return converted_to_srgb(image) or image.convert("RGB")


def converted_to_srgb(image: Image.Image) -> Image.Image | None:
    """The image in sRGB RGB through its embedded ICC profile, with the profile's own rendering
    intent; None where it has no profile or one that cannot be read or does not fit the mode."""
    icc_profile = image.info.get("icc_profile")
    if not icc_profile:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(image, profile, ImageCms.createProfile("sRGB"), outputMode="RGB",
                                         renderingIntent=ImageCms.getDefaultIntent(profile))
    except (ImageCms.PyCMSError, OSError):
        return None


def is_srgb_profile(profile: bytes | None) -> bool:
    """No profile means sRGB; otherwise the profile's own name says (sRGB IEC61966-2.1, sRGB
    built-in, GIMP built-in sRGB, ...)."""
    if not profile:
        return True
    try:
        return "srgb" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(profile))).lower()
    except (ImageCms.PyCMSError, OSError):
        return False


def image_from_array(pixels: np.ndarray) -> Image.Image:
    """Pillow image of a uint8 (H, W) or (H, W, C) array, C = 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA."""
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    return Image.fromarray(np.ascontiguousarray(pixels))


def _sixteen_bit_grey_to_eight_bit(image: Image.Image) -> Image.Image:
    values = np.clip(np.asarray(image, dtype=np.float32), 0, 65535)
    return Image.fromarray(np.rint(values / 257).astype(np.uint8))


def _composite_on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (WHITE, WHITE, WHITE, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")
