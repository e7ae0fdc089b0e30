"""numpy uint8 images -> Qt images.

Pixel-space models make tiny pictures (28 px digits), so thumbnails are enlarged by whole-pixel
repetition (nearest-neighbour) to stay crisp instead of blurred.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

from engine.imaging import enlarge

_FORMATS = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888, 4: QImage.Format.Format_RGBA8888}


def to_qimage(array: np.ndarray) -> QImage:
    """(H, W) or (H, W, C) uint8 with C in {1, 3, 4} -> an independent QImage (copied)."""
    pixels = np.ascontiguousarray(array if array.ndim == 3 else array[:, :, None])
    height, width, channels = pixels.shape
    image = QImage(pixels.data, width, height, width * channels, _FORMATS[channels])
    return image.copy()


def thumbnail(array: np.ndarray, side: int) -> QPixmap:
    """A pixmap about `side` px on its longer side: small images grow by a whole number of
    pixels (crisp), large ones shrink smoothly."""
    factor = max(1, round(side / max(array.shape[:2])))
    pixmap = QPixmap.fromImage(to_qimage(enlarge(array, factor)))
    if max(pixmap.width(), pixmap.height()) > 2 * side:
        pixmap = pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return pixmap
