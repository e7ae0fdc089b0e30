"""A widget that shows one uint8 image scaled to fit, crisp at any zoom.

Small images are enlarged by nearest-neighbour (a 28 px digit stays a sharp 28 x 28 grid of
pixels); images larger than the widget are shrunk smoothly.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.common.images import to_qimage


class PixelView(QWidget):
    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._placeholder = placeholder
        self.setMinimumSize(96, 96)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, array: np.ndarray | None) -> None:
        self._image = None if array is None else to_qimage(array)
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def has_image(self) -> bool:
        return self._image is not None

    def sizeHint(self) -> QSize:
        return QSize(256, 256)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if self._image is None:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect().adjusted(8, 8, -8, -8), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self._placeholder)
            return
        width, height = self._image.width(), self._image.height()
        scale = min(self.width() / width, self.height() / height)
        if scale >= 1:
            scale = float(int(scale))  # whole pixels: every source pixel the same size on screen
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1)
        target = QRectF(0, 0, width * scale, height * scale)
        target.moveCenter(QRectF(self.rect()).center())
        painter.drawImage(target, self._image)
