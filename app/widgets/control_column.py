"""The left column every page has: settings stacked vertically, scrolling when the window is
short, never scrolling sideways (it is always at least as wide as its widest row).

The page's main action (Generate, Denoise, Start...) sits in a footer pinned below the scrolling
part: at 1280x800 a long model card pushed it off screen, and the button the user came for must
never need scrolling to find.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLayout, QScrollArea, QVBoxLayout, QWidget


def control_column(panel: QWidget, footer: QLayout, min_width: int) -> QWidget:
    scroll = QScrollArea()
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scrollbar = scroll.verticalScrollBar().sizeHint().width()
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(scroll, 1)
    footer.setContentsMargins(panel.layout().contentsMargins())
    layout.addLayout(footer)
    column.setMinimumWidth(max(min_width, panel.minimumSizeHint().width() + scrollbar))
    return column
