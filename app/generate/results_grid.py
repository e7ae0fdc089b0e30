"""Thumbnails of generated images; click one to select it for the timeline and for saving."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from app.common.images import thumbnail

THUMBNAIL_SIDE = 72
MAX_CELL_WIDTH = 160  # a longer caption is elided


class ResultsGrid(QListWidget):
    selected = Signal(int)  # image index, -1 when nothing is selected

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        self.setGridSize(QSize(THUMBNAIL_SIDE + 16, THUMBNAIL_SIDE + 26))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self.setToolTip("Generated images: click one to scrub its reverse process and to save it; right-click for more")
        self.currentRowChanged.connect(self.selected)

    def set_images(self, images: np.ndarray, labels: list[str], tooltips: list[str] | None = None) -> None:
        """(N, H, W, C) uint8 images with one caption (and optionally one tooltip) each; selects
        the first."""
        self.blockSignals(True)
        self.clear()
        pixmaps = [thumbnail(image, THUMBNAIL_SIDE) for image in images]
        if pixmaps:
            size = pixmaps[0].size()
            self.setIconSize(size)
            widest = max(self.fontMetrics().horizontalAdvance(label) for label in labels)
            width = min(max(size.width(), 64, widest), MAX_CELL_WIDTH)  # wide enough for "seed 12 · Ankle boot"
            self.setGridSize(QSize(width + 16, size.height() + 26))
        for index, (pixmap, label) in enumerate(zip(pixmaps, labels)):
            icon = QIcon(pixmap)
            icon.addPixmap(pixmap, QIcon.Mode.Selected)  # no selection tint over the picture itself
            item = QListWidgetItem(icon, label)
            if tooltips:
                item.setToolTip(tooltips[index])
            self.addItem(item)
        self.blockSignals(False)
        if len(images):
            self.setCurrentRow(0)
        else:
            self.selected.emit(-1)

    def captions(self) -> list[str]:
        return [self.item(row).text() for row in range(self.count())]

    def selected_index(self) -> int:
        return self.currentRow()
