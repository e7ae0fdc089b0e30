"""Phone and camera photo files built in code, so the tests need no sample files: HEIC (written by
pillow-heif, the tests' own encoder), AVIF (Pillow) and a minimal DNG that LibRaw develops
(written by tifffile: 16-bit Bayer data with the few DNG tags LibRaw needs, about 2 KB).

LibRaw ignores images smaller than 22 pixels a side: a DNG here is at least 24 x 24.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pillow_heif
import tifffile
from PIL import Image

DNG_WHITE_LEVEL = 4095  # 12-bit sensor values
ORIENTATION_TAG = 274


def heic_bytes(image: Image.Image, **options) -> bytes:
    """`image` as a HEIC file; `options` as pillow-heif's save takes them (quality, exif, ...)."""
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, **options)
    return buffer.getvalue()


def avif_bytes(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="AVIF", **options)
    return buffer.getvalue()


def dng_bytes(sensor: np.ndarray, orientation: int = 1) -> bytes:
    """A DNG of `sensor`, (H, W) uint16 values of an RGGB Bayer mosaic from 0 (black) to
    DNG_WHITE_LEVEL. Its colour matrix is the identity and its as-shot white neutral, so a uniform
    sensor develops into neutral grey: half the white level becomes sRGB 0.735 (the sRGB curve
    at 0.5) unless something brightened it."""
    identity = tuple(v for value in np.eye(3).ravel() for v in (round(value * 10_000), 10_000))
    tags = [
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion 1.4
        (271, "s", 0, "cUNet", True),  # Make
        (272, "s", 0, "test camera", True),  # Model
        (ORIENTATION_TAG, "H", 1, orientation, True),
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: R G / G B
        (50714, "H", 1, 0, True),  # BlackLevel
        (50717, "H", 1, DNG_WHITE_LEVEL, True),  # WhiteLevel
        (50721, "2i", 9, identity, True),  # ColorMatrix1 (SRATIONAL)
        (50778, "H", 1, 21, True),  # CalibrationIlluminant1: D65
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
    ]
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, sensor, photometric=32803, extratags=tags, metadata=None)  # 32803: CFA
    return buffer.getvalue()


def sensor_gradient(height: int = 24, width: int = 32) -> np.ndarray:
    """A left-to-right ramp over most of the sensor's range: develops into many 16-bit values."""
    ramp = np.linspace(200, DNG_WHITE_LEVEL - 300, width)
    return np.repeat(ramp[None, :], height, axis=0).astype(np.uint16)


def dng_claiming_size(width: int, height: int) -> bytes:
    """A small DNG whose header says it is `width` x `height` (its data is for 32 x 24)."""
    return _tiff_with_size(dng_bytes(sensor_gradient()), width, height)


def heif_claiming_size(data: bytes, width: int, height: int) -> bytes:
    """A HEIC/AVIF `data` whose image spatial extent ('ispe') says `width` x `height`. The coded
    size it claims: for an image whose sides are multiples of 64 that is also the displayed
    size (smaller ones are cropped to theirs, 'clap')."""
    at = data.find(b"ispe")
    assert at > 0, "no ispe box"
    return data[: at + 8] + struct.pack(">II", width, height) + data[at + 16 :]


def _tiff_with_size(data: bytes, width: int, height: int) -> bytes:
    """Little-endian TIFF `data` with its first directory's ImageWidth/ImageLength replaced."""
    patched = bytearray(data)
    directory = struct.unpack_from("<I", patched, 4)[0]
    for index in range(struct.unpack_from("<H", patched, directory)[0]):
        entry = directory + 2 + 12 * index
        tag = struct.unpack_from("<H", patched, entry)[0]
        if tag in (256, 257):
            struct.pack_into("<HHII", patched, entry, tag, 4, 1, width if tag == 256 else height)  # 4: LONG
    return bytes(patched)
