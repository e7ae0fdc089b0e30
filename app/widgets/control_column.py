"""The left column every page has: settings stacked vertically, scrolling when the window is
short, never scrolling sideways (it is always at least as wide as its widest row)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea, QWidget


def control_column(panel: QWidget, min_width: int) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scrollbar = scroll.verticalScrollBar().sizeHint().width()
    scroll.setMinimumWidth(max(min_width, panel.minimumSizeHint().width() + scrollbar))
    return scroll
