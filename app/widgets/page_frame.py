"""What the Generate, Denoise and Train pages have in common: a message banner across the top, the
page's controls in a column (its main action pinned at the foot) beside what the page shows, a
splitter between the two, files dropped anywhere on the page, and keyboard shortcuts that press
the page's buttons. One class, so the three pages cannot drift apart in how they are laid out.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractButton, QLayout, QSplitter, QVBoxLayout, QWidget

from app.common.dropped_files import FileDropTarget
from app.common.shortcuts import press_on
from app.widgets.control_column import control_column
from app.widgets.message_banner import MessageBanner

KeyBinding = tuple[tuple[str, ...], QAbstractButton]  # (keys from app.common.shortcuts, the button they press)


class PageFrame(FileDropTarget, QWidget):
    """A page subclasses this, builds its widgets, then calls `set_content` once; it implements
    `files_dropped` (FileDropTarget) and says when it is busy through `busy_changed`."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.banner = MessageBanner()
        self.setAcceptDrops(True)

    def set_content(self, controls: QWidget, footer: QLayout, output: QWidget, widths: tuple[int, int],
                    min_controls_width: int, keys: Sequence[KeyBinding]) -> None:
        """`controls` scroll in the left column above `footer`; `widths` are the column's and the
        output's starting widths (the output takes any spare width)."""
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(control_column(controls, footer, min_width=min_controls_width))
        splitter.addWidget(output)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes(list(widths))
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        for key_names, button in keys:
            press_on(self, key_names, button)
