"""Metadata that travels from a photo to its denoised copy: EXIF, ICC profile, PNG text, DPI.

What is read, and why:

* EXIF (camera, date, exposure, GPS) from JPEG, PNG, WebP, HEIC/HEIF and AVIF sources, with
  Orientation reset to 1 because `read_photo` has already turned the pixels upright (keeping the
  old value would rotate the result twice). TIFF tags are not carried: a TIFF's "EXIF" is its own
  tag directory, strip layout included, which means nothing in another file.
* The ICC profile, unless the pixels left the colour space it describes (CMYK -> RGB).
* PNG text chunks (tEXt/zTXt/iTXt): captions, XMP. Orientation inside XMP or a raw EXIF profile
  is cleared the way Pillow's exif_transpose clears it, for the same reason as EXIF's. This
  app's own generation settings are dropped: the denoised copy is no longer what they make.
* DPI, so the print size stays the same.
* Whether a WebP source is lossless, so that its copy is too.

What each output format can hold (what Pillow writes): PNG all four; JPEG EXIF (at most one
64 KB segment: bigger EXIF, only possible from a PNG or WebP source, is left out), ICC and DPI;
WebP and AVIF EXIF and ICC; TIFF ICC and DPI; BMP DPI. (A 16-bit colour TIFF, written by
tifffile, holds none: its only source, a camera RAW file, carries none here.)
"""

from __future__ import annotations

from PIL import Image, PngImagePlugin

from engine.generation_record import TEXT_KEY

ORIENTATION_TAG = 0x0112
JPEG_MAX_EXIF_BYTES = 65_533  # an APP1 segment's length field counts itself and the "Exif\0\0" header
EXIF_SOURCE_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
KEYS_BY_FORMAT = {
    "PNG": ("exif", "icc_profile", "text", "dpi"),
    "JPEG": ("exif", "icc_profile", "dpi"),
    "WEBP": ("exif", "icc_profile", "lossless"),
    "TIFF": ("icc_profile", "dpi"),
    "BMP": ("dpi",),
    "AVIF": ("exif", "icc_profile"),
}


def read_metadata(image: Image.Image, upright: Image.Image, keep_icc: bool = True) -> dict:
    """The `Photo.info` dict of an opened (and loaded) source image, by the module's rules;
    `upright` is its `ImageOps.exif_transpose` copy, whose text has orientation cleared."""
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
    if image.format == "PNG":
        text = {str(key): str(upright.info.get(key, value)) for key, value in image.text.items() if key != TEXT_KEY}
        if text:
            info["text"] = text
    dpi = image.info.get("dpi")
    if dpi:
        info["dpi"] = (float(dpi[0]), float(dpi[1]))
    if image.format == "WEBP" and _is_lossless_webp(image):
        info["lossless"] = True
    return info


def save_options(info: dict, format: str, keep_icc: bool = True) -> dict:
    """Keyword arguments for `Image.save(..., format=format)` carrying what `format` can hold."""
    keys = [key for key in KEYS_BY_FORMAT[format] if key in info and (keep_icc or key != "icc_profile")]
    if format == "JPEG" and len(info.get("exif", b"")) > JPEG_MAX_EXIF_BYTES:
        keys.remove("exif")
    options = {key: info[key] for key in keys if key != "text"}
    if "text" in keys:
        chunks = PngImagePlugin.PngInfo()
        for key, value in info["text"].items():
            chunks.add_text(key, value)
        options["pnginfo"] = chunks
    return options


def _is_lossless_webp(image: Image.Image) -> bool:
    """Whether the WebP's bitstream is VP8L (lossless): the RIFF chunk after "WEBP", or after an
    extended file's VP8X/ICCP/ANIM/EXIF/XMP/ALPH chunks. Pillow does not report it, and has closed
    the file once the pixels are loaded, so the chunk headers are read again from the file."""
    if not getattr(image, "filename", ""):
        return False
    with open(image.filename, "rb") as stream:
        stream.seek(12)
        while len(header := stream.read(8)) == 8:
            kind, size = header[:4], int.from_bytes(header[4:], "little")
            if kind in (b"VP8 ", b"VP8L", b"ANMF"):
                return kind == b"VP8L"
            stream.seek(size + size % 2, 1)  # chunks are padded to an even length
    return False
