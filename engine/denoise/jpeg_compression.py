"""How much a JPEG file's compression has changed its pixels, read from the file itself.

Noise estimation needs it: JPEG quantisation removes part of the noise a photo had, so the noise
left in the pixels understates it (`noise_levels`); and the photo corpus leaves out photos
compressed too hard to be clean targets (scripts/build_photo_corpus.py). The quality is the IJG
libjpeg quality whose scaled standard table is nearest the file's: libjpeg saves quality q with
entries floor((standard * S + 50) / 100), clipped to 1..255, S = 5000 / q below 50 and 200 - 2 q
above. Encoders with tables of their own (cameras, Photoshop) get the nearest libjpeg quality.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, JpegImagePlugin

# IJG's standard luminance quantisation table (ITU T.81 Annex K), all 64 entries in natural order.
STANDARD_LUMINANCE = np.array((
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
), dtype=np.float64)
LOSSY_QUALITY = 95  # at or below: the compression removed a measurable share of the noise
FULL_CHROMA = 0  # Pillow's subsampling code for 4:4:4


def jpeg_quality(image: Image.Image) -> int | None:
    """The IJG quality (1-100) `image`'s luminance table corresponds to, or None for an image
    that is not a JPEG or has no tables."""
    tables = getattr(image, "quantization", None)
    if not isinstance(image, JpegImagePlugin.JpegImageFile) or not tables or 0 not in tables:
        return None
    return quality_of_table(tables[0])


def quality_of_table(luminance_table: Sequence[int]) -> int:
    """The IJG quality whose scaled standard table is nearest `luminance_table` (64 entries in
    natural order, as Pillow's `Image.quantization[0]` holds them)."""
    table = np.asarray(luminance_table, dtype=np.float64)

    def distance(quality: int) -> float:
        scale = 5000 / quality if quality < 50 else 200 - 2 * quality
        return float(np.abs(np.clip(np.floor((STANDARD_LUMINANCE * scale + 50) / 100), 1, 255) - table).sum())

    return min(range(1, 101), key=distance)


def is_lossy_jpeg(image: Image.Image) -> bool:
    """True for a JPEG whose compression removed part of its noise: quality at most
    LOSSY_QUALITY, or colour stored at reduced resolution (4:2:0 or 4:2:2, as cameras save)."""
    quality = jpeg_quality(image)
    if quality is None:
        return False
    return quality <= LOSSY_QUALITY or JpegImagePlugin.get_sampling(image) not in (FULL_CHROMA, -1)
