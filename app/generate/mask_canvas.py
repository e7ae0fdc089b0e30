"""The start picture as the model sees it, each model pixel a square of whole screen pixels, with
the mask over it in a translucent colour; pressing and dragging paints. The canvas holds no mask
of its own: it turns the pointer into strokes in model pixels (`stroked`), and the page paints
them into the view model's mask (`MaskPainting`) and hands the result back (`set_mask`).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.common.images import to_qimage

MASK_COLOUR = (255, 40, 140, 150)  # RGBA: a pink that shows on black ink, white ink and colour alike


class MaskCanvas(QWidget):
    stroked = Signal(float, float, float, float)  # from (x, y) to (x, y), in model pixels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._picture: QImage | None = None
        self._overlay: QImage | None = None
        self._side = 0  # the model's image size
        self._brush = 1
        self._hover: QPointF | None = None  # the pointer, in model pixels
        self._last: QPointF | None = None  # where the current stroke is, while the button is down
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMinimumSize(168, 168)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Paint where the picture should be redrawn; what is left unpainted is kept exactly")

    def sizeHint(self) -> QSize:
        return QSize(280, 280)

    def set_picture(self, picture: np.ndarray | None) -> None:
        """(H, W, C) uint8, square, at the model's size; None: nothing to paint on."""
        self._picture = None if picture is None else to_qimage(picture)
        self._side = 0 if picture is None else picture.shape[0]
        self.update()

    def set_mask(self, mask: np.ndarray | None) -> None:
        """(H, W) bool, True = regenerate (shown in MASK_COLOUR)."""
        if mask is None:
            self._overlay = None
        else:
            rgba = np.zeros((*mask.shape, 4), np.uint8)
            rgba[mask] = MASK_COLOUR
            self._overlay = to_qimage(rgba)
        self.update()

    def set_brush(self, size: int) -> None:
        self._brush = size
        self.update()

    def target(self) -> QRectF:
        """Where the picture is drawn: centred, at a whole number of screen pixels per model pixel
        (a fraction only when the widget is smaller than the model's size)."""
        if not self._side:
            return QRectF()
        scale = min(self.width(), self.height()) / self._side
        scale = float(int(scale)) if scale >= 1 else scale
        target = QRectF(0, 0, self._side * scale, self._side * scale)
        target.moveCenter(QRectF(self.rect()).center())
        return target

    def to_model(self, position: QPointF) -> QPointF:
        target = self.target()
        return QPointF((position.x() - target.left()) * self._side / target.width(),
                       (position.y() - target.top()) * self._side / target.height())

    # --- the pointer -------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self._side:
            return
        if not self.target().contains(event.position()):
            return
        self._last = self.to_model(event.position())
        self.stroked.emit(self._last.x(), self._last.y(), self._last.x(), self._last.y())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not self._side:
            return
        point = self.to_model(event.position())
        self._hover = point
        if self._last is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self.stroked.emit(self._last.x(), self._last.y(), point.x(), point.y())
            self._last = point
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._last = None

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()

    # --- drawing -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        if self._picture is None:
            return
        target = self.target()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(target, self._picture)
        if self._overlay is not None:
            painter.drawImage(target, self._overlay)
        if self._hover is not None:
            self._draw_brush(painter, target)

    def _draw_brush(self, painter: QPainter, target: QRectF) -> None:
        """The brush's outline at the pixel under the pointer, as wide as it paints."""
        pixel = target.width() / self._side
        centre = QPointF((math.floor(self._hover.x()) + 0.5) * pixel + target.left(),
                         (math.floor(self._hover.y()) + 0.5) * pixel + target.top())
        radius = self._brush * pixel / 2
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for colour, width in ((QColor(0, 0, 0, 160), 3), (QColor(255, 255, 255, 220), 1)):
            painter.setPen(QPen(colour, width))
            painter.drawEllipse(centre, radius, radius)
