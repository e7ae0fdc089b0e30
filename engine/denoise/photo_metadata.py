"""Metadata that travels from a photo to its denoised copy: EXIF, ICC profile, PNG text, DPI.

What is read, and why:

* EXIF (camera, date, exposure, GPS) from JPEG, PNG and WebP sources, with Orientation reset to 1
  because `read_photo` has already turned the pixels upright (keeping the old value would rotate
  the result twice). TIFF tags are not carried: a TIFF's "EXIF" is its own tag directory, strip
  layout included, which means nothing in another file.
* The ICC profile, unless the pixels left the colour space it describes (CMYK -> RGB).
* PNG text chunks (tEXt/zTXt/iTXt): captions, generation settings.
* DPI, so the print size stays the same.

What each output format can hold (what Pillow writes): PNG all four; JPEG EXIF, ICC and DPI;
WebP EXIF and ICC; TIFF ICC and DPI; BMP DPI.
"""

from __future__ import annotations

from PIL import Image, PngImagePlugin

ORIENTATION_TAG = 0x0112
EXIF_SOURCE_FORMATS = ("JPEG", "MPO", "PNG", "WEBP")
KEYS_BY_FORMAT = {
    "PNG": ("exif", "icc_profile", "text", "dpi"),
    "JPEG": ("exif", "icc_profile", "dpi"),
    "WEBP": ("exif", "icc_profile"),
    "TIFF": ("icc_profile", "dpi"),
    "BMP": ("dpi",),
}


def read_metadata(image: Image.Image, keep_icc: bool = True) -> dict:
    """The `Photo.info` dict of an opened (and loaded) source image, by the module's rules."""
    info: dict = {}
    if image.format in EXIF_SOURCE_FORMATS:
        exif = image.getexif()
        if len(exif):
            if ORIENTATION_TAG in exif:
                exif[ORIENTATION_TAG] = 1
            info["exif"] = exif.tobytes()
    icc = image.info.get("icc_profile")
    if keep_icc and icc:
        info["icc_profile"] = icc
    if image.format == "PNG" and image.text:
        info["text"] = {str(key): str(value) for key, value in image.text.items()}
    dpi = image.info.get("dpi")
    if dpi:
        info["dpi"] = (float(dpi[0]), float(dpi[1]))
    return info


def save_options(info: dict, format: str, keep_icc: bool = True) -> dict:
    """Keyword arguments for `Image.save(..., format=format)` carrying what `format` can hold."""
    keys = [key for key in KEYS_BY_FORMAT[format] if key in info and (keep_icc or key != "icc_profile")]
    options = {key: info[key] for key in keys if key != "text"}
    if "text" in keys:
        chunks = PngImagePlugin.PngInfo()
        for key, value in info["text"].items():
            chunks.add_text(key, value)
        options["pnginfo"] = chunks
    return options
