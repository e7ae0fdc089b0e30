"""Before/after comparison: one view, a draggable split line, shared zoom and pan.

Both images are drawn through the same transform, so zoom (mouse wheel, around the cursor) and
pan (drag) are always in sync. Dragging near the split line moves it instead. The difference
mode shows |after - before| amplified, which makes visible what denoising changed: uniform grain
is removed noise, while shapes mean the model altered detail. Double-click fits the image.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.common.images import to_qimage
from app.common.pixels import difference_image
from app.denoise.denoise_messages import EMPTY_TEXT

SPLIT_GRAB_PX = 8
ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.05, 64.0


class CompareView(QWidget):
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.split = 0.5  # fraction of the widget's width
        self.mode = "split"  # split | difference
        self.gain = 4.0
        self._before: np.ndarray | None = None
        self._after: np.ndarray | None = None
        self._before_image: QImage | None = None
        self._after_image: QImage | None = None
        self._difference_image: QImage | None = None
        self._scale = 1.0
        self._offset = QPointF(0, 0)  # widget position of the image's top-left corner
        self._drag: str | None = None  # "split" | "pan"
        self._last_pos = QPointF()
        self._placeholder = EMPTY_TEXT
        self.setMouseTracking(True)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # --- content ------------------------------------------------------------------------------

    def set_images(self, before: np.ndarray | None, after: np.ndarray | None) -> None:
        """uint8 (H, W, C) images of the same size; keeps the zoom when the size is unchanged."""
        same_size = self._before is not None and before is not None and before.shape == self._before.shape
        self._before, self._after = before, after
        self._before_image = None if before is None else to_qimage(before)
        self._after_image = None if after is None else to_qimage(after)
        self._difference_image = None
        if not same_size:
            self.fit()
        self.update()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.update()

    def set_gain(self, gain: float) -> None:
        self.gain = gain
        self._difference_image = None
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    @property
    def zoom(self) -> float:
        return self._scale

    def fit(self) -> None:
        """Whole image in view; small images enlarged by whole pixels."""
        if self._before_image is None:
            return
        width, height = self._before_image.width(), self._before_image.height()
        scale = min(self.width() / width, self.height() / height)
        self._scale = float(int(scale)) if scale >= 1 else scale
        self._offset = QPointF((self.width() - width * self._scale) / 2, (self.height() - height * self._scale) / 2)
        self.zoom_changed.emit(self._scale)
        self.update()

    def zoom_at(self, point: QPointF, factor: float) -> None:
        """Zoom by `factor` keeping the image point under `point` fixed."""
        new_scale = min(MAX_ZOOM, max(MIN_ZOOM, self._scale * factor))
        self._offset = point - (point - self._offset) * (new_scale / self._scale)
        self._scale = new_scale
        self.zoom_changed.emit(self._scale)
        self.update()

    def image_to_widget(self, x: float, y: float) -> QPointF:
        return self._offset + QPointF(x, y) * self._scale

    # --- painting -----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#2b2b2b"))
        if self._before_image is None:
            painter.setPen(QColor("#bbbbbb"))
            painter.drawText(self.rect().adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._scale < 1)
        target = QRectF(self.image_to_widget(0, 0), self._before_image.size().toSizeF() * self._scale)
        if self.mode == "difference" and self._after_image is not None:
            painter.drawImage(target, self._difference())
            self._label(painter, f"Difference ×{self.gain:g}", left=True)
            return
        if self._after_image is None:  # a photo not denoised yet: all of it, not the before half
            painter.drawImage(target, self._before_image)
            self._label(painter, "Before", left=True)
            return
        split_x = self.split * self.width()
        painter.save()
        painter.setClipRect(QRectF(0, 0, split_x, self.height()))
        painter.drawImage(target, self._before_image)
        painter.restore()
        painter.save()
        painter.setClipRect(QRectF(split_x, 0, self.width() - split_x, self.height()))
        painter.drawImage(target, self._after_image)
        painter.restore()
        painter.setPen(QColor(255, 255, 255, 220))
        painter.drawLine(QPointF(split_x, 0), QPointF(split_x, self.height()))
        self._label(painter, "After", left=False)
        self._label(painter, "Before", left=True)

    def _difference(self) -> QImage:
        if self._difference_image is None:
            self._difference_image = to_qimage(difference_image(self._before, self._after, self.gain))
        return self._difference_image

    def _label(self, painter: QPainter, text: str, left: bool) -> None:
        metrics = painter.fontMetrics()
        box = QRectF(0, 0, metrics.horizontalAdvance(text) + 12, metrics.height() + 6)
        box.moveTopLeft(QPointF(8, 8) if left else QPointF(self.width() - box.width() - 8, 8))
        painter.fillRect(box, QColor(0, 0, 0, 150))
        painter.setPen(QColor("white"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    # --- interaction --------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps and self._before_image is not None:
            self.zoom_at(event.position(), ZOOM_STEP**steps)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._drag = "split" if self._near_split(event.position().x()) else "pan"
        self._last_pos = event.position()
        if self._drag == "pan":
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        if self._drag == "split":
            self.split = min(1.0, max(0.0, position.x() / max(1, self.width())))
            self.update()
        elif self._drag == "pan":
            self._offset += position - self._last_pos
            self._last_pos = position
            self.update()
        else:
            near = self._near_split(position.x())
            self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.OpenHandCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.fit()
        super().resizeEvent(event)

    def _near_split(self, x: float) -> bool:
        return (self.mode == "split" and self._after_image is not None
                and abs(x - self.split * self.width()) <= SPLIT_GRAB_PX)
