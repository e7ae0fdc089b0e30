"""One-line text boxes that stay readable when their text is longer than the box.

A label is cut in the middle, keeping its start and its end (a count and a place, a file's
extension). A path keeps its last part whole, the folder or file it names, and cuts the folders
above it ("/home/ann/Pi…/holiday-2024"): Qt's own elision keeps only the end of the box's text
("…4/shapes") or cuts the name itself when the box is narrow.

`text()` is always the whole text; only the display is cut. Callers use them as the QLabel and
QLineEdit they are.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QFocusEvent, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QSizePolicy, QWidget

LINE_EDIT_PADDING_PX = 12  # a line edit's frame and text margins, left and right together


class ElidedLabel(QLabel):
    """Takes the width its layout gives it (it never widens the window to fit its text)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        self._text = text
        self._show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show()

    def _show(self) -> None:
        super().setText(self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideMiddle, self.width()))


class PathField(QLineEdit):
    """A path box: cut in the middle while not being edited, whole while it has the focus (so it
    can still be typed or pasted), and whole in its tooltip above `tooltip`'s explanation."""

    def __init__(self, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path = ""
        self._explanation = tooltip
        self._show()

    def text(self) -> str:
        return super().text() if self.hasFocus() else self._path

    def setText(self, path: str) -> None:
        self._path = path
        self._show()

    def clear(self) -> None:
        self.setText("")

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().setText(self._path)
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._path = super().text()
        super().focusOutEvent(event)
        self._show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self.hasFocus():
            self._show()

    def _show(self) -> None:
        self.setToolTip(f"{self._path}\n\n{self._explanation}" if self._path else self._explanation)
        if self.hasFocus():
            super().setText(self._path)
            return
        width = self.contentsRect().width() - LINE_EDIT_PADDING_PX
        super().setText(elided_path(self._path, self.fontMetrics(), width))
        self.setCursorPosition(0)


def elided_path(path: str, metrics: QFontMetrics, width: int) -> str:
    """`path` in `width` pixels: whole if it fits, else its folders cut in the middle before its
    last part, else that last part alone, cut in the middle."""
    if metrics.horizontalAdvance(path) <= width:
        return path
    parent, separator, name = path.rstrip(os.sep).rpartition(os.sep)
    tail = separator + name
    room = width - metrics.horizontalAdvance(tail)
    if parent and room >= metrics.horizontalAdvance("x…"):
        return metrics.elidedText(parent, Qt.TextElideMode.ElideMiddle, room) + tail
    return metrics.elidedText(name or path, Qt.TextElideMode.ElideMiddle, width)
