"""The Denoise page's queue as a table: photo name, status (queued / working n% / done / saved /
error) and the noise level used. Rows mirror `DenoiseQueue.items`.

The photo's name takes the spare width and the Status column keeps a fixed one, so a long error
never squeezes the names to "m…"; long texts are cut in the middle (a name keeps its start and
its extension) and shown whole in their tooltips."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from app.denoise.denoise_queue import DONE, ERROR, QueueItem

STATUS_COLOURS = {ERROR: QColor("#b00020"), DONE: QColor("#1b6e20")}
WIDEST_STATUS = "Working 100%"  # the Status column fits this; longer texts (errors) are cut


class PhotoQueueView(QTreeWidget):
    selected = Signal(int)  # row, -1 for none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Photo", "Status", "σ"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAcceptDrops(False)  # drops go to the page, which accepts files and folders
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(1, self.fontMetrics().horizontalAdvance(WIDEST_STATUS) + 16)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.currentItemChanged.connect(lambda *_: self.selected.emit(self.selected_row()))

    def sizeHint(self) -> QSize:
        """A few rows tall: the queue takes the column's spare height, but a taller default
        pushed the denoising settings below the fold at 800 px."""
        return QSize(super().sizeHint().width(), 110)

    def set_items(self, items: list[QueueItem]) -> None:
        row = self.selected_row()
        self.blockSignals(True)
        self.clear()
        for item in items:
            self.addTopLevelItem(QTreeWidgetItem())
            self.update_row(self.topLevelItemCount() - 1, item)
        self.blockSignals(False)
        if 0 <= row < len(items):
            self.setCurrentItem(self.topLevelItem(row))
        self.selected.emit(self.selected_row())

    def update_row(self, row: int, item: QueueItem) -> None:
        widget_item = self.topLevelItem(row)
        widget_item.setText(0, item.path.name)
        widget_item.setToolTip(0, str(item.path))
        widget_item.setText(1, item.status_text())
        widget_item.setToolTip(1, item.status_details())
        widget_item.setText(2, "" if item.sigma is None else f"{item.sigma:.1f}")
        widget_item.setForeground(1, STATUS_COLOURS.get(item.status, self.palette().text().color()))

    def select_row(self, row: int) -> None:
        self.setCurrentItem(self.topLevelItem(row))

    def selected_row(self) -> int:
        item = self.currentItem()
        return self.indexOfTopLevelItem(item) if item is not None else -1
